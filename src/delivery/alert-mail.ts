/** The real e-mail templates (src/mail/alert.ts) behind delivery's AlertMail port. */
import { type AlertContent, composeAlert, renderAlertContent } from '../mail/alert.ts';
import type { AlertMail } from './mail-port.ts';

export const templatesAlertMail: AlertMail = {
  // The content is stored as JSON on the fan-out and handed back unchanged to compose.
  render: async (ctx, source) => (await renderAlertContent(ctx, source)) as Record<string, unknown> | null,
  compose: (content, recipient, links) => composeAlert(content as unknown as AlertContent, recipient, links),
};
