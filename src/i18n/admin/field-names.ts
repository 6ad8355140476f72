/**
 * A field's name in the console's language, for the pages that name a field away from its form: the texts handed
 * back by a refused post (`title.it`, `windows.0.scope.en`…), and what a colleague changed in an incident. Made of
 * the labels the forms themselves show, so a field is called the same everywhere.
 */
import type { AdminDictionary } from './it.ts';

const LABELS: Record<string, (t: AdminDictionary) => string> = {
  title: (t) => t.declare.incidentTitle,
  body: (t) => t.notices.body,
  description: (t) => t.plan.description,
  delayReason: (t) => t.plan.delayReason,
  audience: (t) => t.notices.audience,
  action: (t) => t.notices.action,
  question: (t) => t.faq.question,
  answer: (t) => t.faq.answer,
  name: (t) => t.services.name,
  groupName: (t) => t.services.group,
  status: (t) => t.incident.status,
  impact: (t) => t.incident.impact,
  nextUpdateBy: (t) => t.incident.nextUpdateBy,
  resolvedAt: (t) => t.incident.resolvedAt,
  postmortem: (t) => t.incident.postmortem,
  expectedVersion: (t) => t.update.version,
};

/** `title.it` → "Titolo (Italiano)"; a name it does not know is returned as it is rather than guessed at. */
export function fieldName(t: AdminDictionary, name: string): string {
  const localized = /^(.+)\.(it|en)$/.exec(name);
  const base = localized ? localized[1]! : name;
  const window = /^windows\.(\d+)\.scope$/.exec(base);
  const label = window ? `${t.notices.window(Number(window[1]) + 1)}: ${t.notices.scope}` : LABELS[base]?.(t);
  if (label === undefined) return name;
  return localized ? `${label} (${localized[2] === 'it' ? t.fields.italian : t.fields.english})` : label;
}
