/**
 * The deployment's identity. The product is generic; these are the demo vendor's values (the Italian
 * e-invoicing platform of the reference scenario). A deployment changes them here.
 */
export const SITE = {
  /** The product name shown in the header. */
  name: 'Vedetta',
  /** Whose services this page reports on. */
  vendor: 'Fattura Esempio',
} as const;
