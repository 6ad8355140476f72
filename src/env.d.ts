/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    /** The request's service context, set by src/fetch.ts before Astro renders. */
    ctx: import('./services/context.ts').Ctx;
  }
}
