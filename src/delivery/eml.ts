/**
 * The embedded transport's file format: one RFC 5322 message per e-mail, multipart/alternative with the plain
 * text first and the HTML second (clients show the last part they can render), the List-Unsubscribe headers
 * as given. Bodies are base64 so any UTF-8 text and long lines survive unchanged; non-ASCII header values are
 * RFC 2047 encoded-words.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutgoingEmail } from './transport.ts';

export const EML_PREFIX = 'eml:';

/** Writes `<dir>/<messageId>.eml` atomically (temp file + rename) and returns the provider id it stands for. */
export async function writeEml(dir: string, messageId: string, email: OutgoingEmail, date = new Date()): Promise<string> {
  if (!/^[a-z0-9]+$/.test(messageId)) throw new Error(`unsafe message id for a file name: ${messageId}`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${messageId}.eml`);
  await writeFile(`${path}.tmp`, renderEml(messageId, email, date));
  await rename(`${path}.tmp`, path);
  return `${EML_PREFIX}${messageId}`;
}

export async function readEml(dir: string, messageId: string): Promise<string | null> {
  if (!/^[a-z0-9]+$/.test(messageId)) return null;
  try {
    return await readFile(join(dir, `${messageId}.eml`), 'utf8');
  } catch {
    return null;
  }
}

export function renderEml(messageId: string, email: OutgoingEmail, date: Date): string {
  const domain = addressDomain(email.from);
  const boundary = `=_vedetta_${createHash('sha256').update(messageId).digest('hex').slice(0, 24)}`;
  const lines = [
    `From: ${encodeAddress(email.from)}`,
    `To: ${email.to}`,
    `Subject: ${encodeWord(email.subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${messageId}@${domain}>`,
    'MIME-Version: 1.0',
    ...Object.entries(email.headers).map(([name, value]) => `${safeHeaderName(name)}: ${encodeWord(value)}`),
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(email.text),
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(email.html),
    `--${boundary}--`,
    '',
  ];
  return lines.join('\r\n');
}

function base64Lines(text: string): string {
  return (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? ['']).join('\r\n');
}

/** Header values must not carry line breaks (header injection); non-ASCII becomes an encoded-word. */
function encodeWord(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

/** `Name <addr>`: only the display name may need encoding. */
function encodeAddress(value: string): string {
  const m = /^(.*?)\s*<([^>]+)>$/.exec(value.trim());
  return m ? `${encodeWord(m[1]!.replace(/"/g, ''))} <${m[2]}>` : encodeWord(value);
}

function addressDomain(from: string): string {
  return /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
}

function safeHeaderName(name: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error(`invalid header name: ${name}`);
  return name;
}
