import type { APIRoute } from 'astro';

/**
 * The console's only script, served from our origin (CSP `script-src 'self'`, no inline code). It is a
 * progressive enhancement: while an operator types, it asks the server for the same preview the "Anteprima"
 * button renders (same form, same CSRF token, `intent=preview`) and swaps it in. Without JavaScript, nothing
 * is lost: the button does the same in a full page load.
 */
const SCRIPT = `(() => {
  'use strict';
  for (const form of document.querySelectorAll('form[data-live-preview]')) {
    const key = form.getAttribute('data-live-preview');
    const target = document.querySelector('[data-preview-target="' + key + '"]');
    if (!target) continue;
    let timer = 0;
    let seq = 0;
    const refresh = async () => {
      const mine = ++seq;
      const body = new FormData(form);
      body.set('intent', 'preview');
      try {
        const res = await fetch(form.action, { method: 'POST', body, credentials: 'same-origin' });
        if (!res.ok && res.status !== 422) return;
        const html = await res.text();
        if (mine !== seq) return;
        const fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('[data-preview-target="' + key + '"]');
        if (fresh) target.replaceChildren(...Array.from(fresh.childNodes, (n) => document.importNode(n, true)));
      } catch {
        // Offline or refused: the preview button still works.
      }
    };
    const schedule = (event) => {
      if (!(event.target instanceof Element) || !event.target.closest('[data-preview]')) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 700);
    };
    form.addEventListener('input', schedule);
    form.addEventListener('change', schedule);
  }
})();
`;

export const GET: APIRoute = () =>
  new Response(SCRIPT, {
    headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=300' },
  });
