/** The e-mail side of delivery, as other modules use it: enqueue a one-off e-mail, read delivery figures. */
export { enqueueEmail, type OneOffEmail } from './enqueue.ts';
export { deliveryStats, listMail, type DeliveryStats, type MailItem } from './stats.ts';
