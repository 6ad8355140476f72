/*!
 * Vedetta status widget, contract v1 (see the README, "Embedding: widget, frame and badges").
 *
 *   <script src="https://STATUS-HOST/widget/v1.js" async
 *           data-lang="it" data-theme="light"></script>
 *
 * data-lang     it | en                     texts of the widget and of the status (default it)
 * data-theme    light | dark | auto         auto follows prefers-color-scheme (default light)
 * data-target   CSS selector                element to render into (default: right after this script)
 * data-refresh  seconds, >= 30, or 0        how often to refresh (default 60; 0 = never)
 *
 * Renders into a shadow root (the host page's CSS cannot break it, its own cannot leak out) the overall status,
 * the active incident's latest update and links to the status page. It talks only to the Vedetta origin it was
 * loaded from (GET /api/v1/public/summary, no cookies: credentials "omit"), stores nothing, loads no fonts,
 * images or other third-party resources, and writes server text with textContent only.
 *
 * Events, dispatched on the host element (bubbling, composed):
 *   vedetta:status  detail { indicator, description, incidents: [{ id, title, url }], url, lang }
 *   vedetta:error   detail { message }
 */
(function () {
  'use strict';

  var VERSION = '1';
  var TEXTS = {
    it: {
      region: 'Stato dei servizi',
      latest: 'Ultimo aggiornamento',
      details: 'Dettagli',
      page: 'Pagina di stato',
      unavailable: 'Stato non disponibile',
      loading: 'Caricamento dello stato…',
      status: {
        investigating: 'In analisi',
        identified: 'Causa individuata',
        monitoring: 'In monitoraggio',
        resolved: 'Risolto',
        postmortem: 'Analisi post-incidente',
      },
    },
    en: {
      region: 'Service status',
      latest: 'Latest update',
      details: 'Details',
      page: 'Status page',
      unavailable: 'Status unavailable',
      loading: 'Loading status…',
      status: {
        investigating: 'Investigating',
        identified: 'Identified',
        monitoring: 'Monitoring',
        resolved: 'Resolved',
        postmortem: 'Postmortem',
      },
    },
  };

  /* Kept in step with the frame (src/http/public/widget.ts). */
  var CSS =
    ':host{display:block}' +
    '.vw{--bg:#fff;--fg:#1f2328;--muted:#57606a;--border:#d0d7de;--link:#0a5fb4;' +
    'font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);' +
    'border:1px solid var(--border);border-radius:8px;padding:10px 12px;box-sizing:border-box;max-width:420px;min-width:200px}' +
    '.vw.dark{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--border:#30363d;--link:#6cb6ff}' +
    '@media (prefers-color-scheme:dark){.vw.auto{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--border:#30363d;--link:#6cb6ff}}' +
    '.vw a{color:var(--link)}.vw p{margin:0}' +
    '.st{display:flex;align-items:center;gap:8px;font-weight:600}' +
    '.dot{width:10px;height:10px;border-radius:50%;flex:none;background:#1a7f37}' +
    '.dot.minor{background:#bf8700}.dot.major{background:#bc4c00}.dot.critical{background:#cf222e}' +
    '.dot.maintenance{background:#0a5fb4}.dot.unknown{background:#6e7781}' +
    '.inc{margin-top:8px;padding-top:8px;border-top:1px solid var(--border)}.inc .t{font-weight:600}' +
    '.meta{color:var(--muted);font-size:12px;margin-top:2px}' +
    '.up{margin-top:4px;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}' +
    '.ft{margin-top:8px;font-size:12px}';

  function currentScripts() {
    var own = document.currentScript;
    if (own && !own.hasAttribute('data-vedetta-started')) return [own];
    // Loaded in a way that hides currentScript: take every widget script not yet started.
    return Array.prototype.filter.call(document.querySelectorAll('script[src*="/widget/v1.js"]'), function (s) {
      return !s.hasAttribute('data-vedetta-started');
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function link(href, text) {
    var a = el('a', '', text);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener';
    return a;
  }

  /* Only http(s) links from the server are followed; anything else points at the status page. */
  function safeUrl(url, fallback) {
    try {
      var u = new URL(url);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : fallback;
    } catch (_e) {
      return fallback;
    }
  }

  function formatTime(iso, lang, timeZone) {
    try {
      return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'it-IT', {
        day: 'numeric',
        month: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZone: timeZone || undefined,
        timeZoneName: 'short',
      }).format(new Date(iso));
    } catch (_e) {
      return iso;
    }
  }

  function truncate(text, max) {
    text = String(text || '')
      .replace(/\s*\n+\s*/g, ' ')
      .trim();
    return text.length > max ? text.slice(0, max - 1).replace(/\s+\S*$/, '') + '…' : text;
  }

  function start(script) {
    script.setAttribute('data-vedetta-started', VERSION);
    var origin;
    try {
      origin = new URL(script.src, document.baseURI).origin;
    } catch (_e) {
      return;
    }
    var lang = script.getAttribute('data-lang') === 'en' ? 'en' : 'it';
    var themeAttr = script.getAttribute('data-theme');
    var theme = themeAttr === 'dark' || themeAttr === 'auto' ? themeAttr : 'light';
    var refreshAttr = script.getAttribute('data-refresh');
    var refresh = refreshAttr === null || refreshAttr === '' ? 60 : Number(refreshAttr);
    if (!(refresh >= 0)) refresh = 60;
    if (refresh > 0 && refresh < 30) refresh = 30;
    var t = TEXTS[lang];
    var pageUrl = origin + (lang === 'en' ? '/en/' : '/');

    var host = el('div', 'vedetta-widget');
    host.setAttribute('data-vedetta-widget', VERSION);
    var selector = script.getAttribute('data-target');
    var target = null;
    if (selector) {
      try {
        target = document.querySelector(selector);
      } catch (_e) {
        target = null;
      }
    }
    if (target) target.appendChild(host);
    else if (script.parentNode) script.parentNode.insertBefore(host, script.nextSibling);
    else document.body.appendChild(host);

    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    // A constructed stylesheet is not an inline style: it works under a host page's strict style-src.
    if (root !== host && 'adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function') {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
      } catch (_e) {
        root.appendChild(el('style', '', CSS));
      }
    } else {
      root.appendChild(el('style', '', CSS));
    }
    var box = el('div', 'vw ' + theme);
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', t.region);
    box.setAttribute('lang', lang);
    root.appendChild(box);
    var live = el('p', 'st');
    live.setAttribute('aria-live', 'polite');
    live.appendChild(el('span', 'dot unknown'));
    live.appendChild(el('span', '', t.loading));
    box.appendChild(live);
    var rendered = false;

    function emit(name, detail) {
      host.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true, composed: true }));
    }

    function render(data) {
      var page = data.page || {};
      var status = data.status || {};
      var home = safeUrl(page.url, pageUrl);
      var incidents = data.active_incidents || [];
      box.setAttribute('aria-label', t.region + (page.name ? ' · ' + page.name : ''));
      while (box.firstChild) box.removeChild(box.firstChild);

      var st = el('p', 'st');
      st.setAttribute('aria-live', 'polite');
      var anyMaintenance = (data.services || []).some(function (s) {
        return s.status === 'under_maintenance';
      });
      var tone = status.indicator === 'none' || !status.indicator ? (anyMaintenance ? 'maintenance' : 'none') : status.indicator;
      var dot = el('span', 'dot ' + tone);
      dot.setAttribute('aria-hidden', 'true');
      st.appendChild(dot);
      st.appendChild(link(home, status.description || t.page));
      box.appendChild(st);

      var first = incidents[0];
      if (first) {
        var inc = el('div', 'inc');
        var href = safeUrl(first.permalink, home);
        var title = el('p', 't');
        if (first.title && first.title.locale) title.setAttribute('lang', first.title.locale);
        title.appendChild(link(href, first.title ? first.title.text : ''));
        inc.appendChild(title);
        var latest = first.latest_update;
        if (latest) {
          var label = t.latest + ' · ' + (t.status[latest.status] || latest.status) + ' · ';
          var meta = el('p', 'meta', label);
          var time = el('time', '', formatTime(latest.display_at, lang, page.time_zone));
          time.setAttribute('datetime', latest.display_at);
          meta.appendChild(time);
          inc.appendChild(meta);
          var body = latest.body || {};
          var up = el('p', 'up', truncate(body.plain || body.text, 280));
          if (body.locale) up.setAttribute('lang', body.locale);
          inc.appendChild(up);
        }
        var ft = el('p', 'ft');
        ft.appendChild(link(latest ? href + '#update-' + encodeURIComponent(latest.id) : href, t.details));
        if (incidents.length > 1) {
          ft.appendChild(document.createTextNode(' · '));
          ft.appendChild(link(home, '+' + (incidents.length - 1)));
        }
        inc.appendChild(ft);
        box.appendChild(inc);
      } else {
        var foot = el('p', 'ft');
        foot.appendChild(link(home, t.page));
        box.appendChild(foot);
      }
      rendered = true;
      emit('vedetta:status', {
        indicator: status.indicator,
        description: status.description,
        incidents: incidents.map(function (i) {
          return { id: i.id, title: i.title ? i.title.text : '', url: safeUrl(i.permalink, home) };
        }),
        url: home,
        lang: lang,
      });
    }

    function fail(message) {
      if (!rendered) {
        while (box.firstChild) box.removeChild(box.firstChild);
        var st = el('p', 'st');
        st.setAttribute('aria-live', 'polite');
        var dot = el('span', 'dot unknown');
        dot.setAttribute('aria-hidden', 'true');
        st.appendChild(dot);
        st.appendChild(link(pageUrl, t.unavailable));
        box.appendChild(st);
      }
      emit('vedetta:error', { message: message });
    }

    function load() {
      if (typeof fetch !== 'function') return fail('fetch is not available');
      fetch(origin + '/api/v1/public/summary?lang=' + lang, {
        credentials: 'omit',
        mode: 'cors',
        headers: { Accept: 'application/json' },
      })
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          return response.json();
        })
        .then(render, function (error) {
          fail(String((error && error.message) || error));
        });
    }

    load();
    if (refresh > 0) setInterval(load, refresh * 1000);
  }

  currentScripts().forEach(start);
})();
