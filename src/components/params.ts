/** A page number from a query string: anything that is not a plain positive integer means page 1. */
export function pageParam(value: string | null): number {
  if (!value || !/^\d{1,6}$/.test(value)) return 1;
  return Math.max(1, Number(value));
}
