/*! callscope dynamic number insertion. Embed:
  <script async src="https://SERVER/t/SITEKEY.js"></script>
  data-api="https://host"   API base (default: where this script came from)
  data-consent="required"   no cookies, no requests until callscope.consent(true)
  data-include="selector"   only swap inside these (default: body)
  data-exclude="selector"   never swap inside these (nor inside [data-callscope-ignore])
  data-format="keep"        keep the page's formatting | "national" | "e164"
  data-timeout="2000"       ms to wait for the server
  JS: callscope.consent(bool), callscope.state(), callscope.rescan().
  Consent known before this loads: window.callscope = {consent: true}. */
(function (w, d) {
  'use strict';
  function g(f) {
    return function () {
      try { return f.apply(this, arguments); } catch (e) {}
    };
  }
  g(function () {
    var api = w.callscope;
    if (!api || typeof api !== 'object') api = w.callscope = {};
    if (api._cs) return;
    api._cs = 1;
    var pre = api.consent === true, VID = null, SID = null, RAW = [], SW = [], PING = 0, HB, OB, busy = 0;
    api.state = function () { return { visitor_id: VID, session_id: SID, swaps: RAW.slice() }; };
    api.consent = api.rescan = function () {};
    var nav = navigator;
    if (!w.fetch || /bot|crawler|spider|crawling|slurp|facebookexternalhit|bingpreview|lighthouse|pingdom|gtmetrix/i.test(nav.userAgent)) return;

    var s = d.currentScript, l;
    if (!s) { l = d.querySelectorAll('script[src*="/t/"]'); s = l[l.length - 1]; }
    var u = new URL(s.src, location.href), m = u.pathname.match(/^(.*)\/t\/([^/]+?)(\.js)?$/);
    if (!m) return;
    var o = s.dataset,
      API = (o.api || u.origin + m[1]).replace(/\/+$/, '') + '/t/' + m[2],
      TO = +o.timeout > 0 ? +o.timeout : 2000,
      FMT = /^(national|e164)$/.test(o.format) ? o.format : 'keep',
      INC = sel(o.include), EXC = sel(o.exclude),
      SKIP = 'head,title,script,style,noscript,template,textarea,input,select,option,[data-callscope-ignore],' +
        '[contenteditable]:not([contenteditable=false])' + (EXC ? ',' + EXC : ''),
      ok = o.consent !== 'required' || pre,
      W = new Map(), H = new Map(), N = new WeakMap(), LAST = location.href,
      CK = 'utm_source utm_medium utm_campaign utm_term utm_content gclid gbraid wbraid fbclid msclkid yclid'.split(' '),
      CAMP = ckey(),
      BLOCK = /^(ADDRESS|ARTICLE|ASIDE|BLOCKQUOTE|BODY|BR|BUTTON|CAPTION|DD|DETAILS|DIALOG|DIV|DL|DT|FIELDSET|FIGCAPTION|FIGURE|FOOTER|FORM|H[1-6]|HEADER|HR|HTML|IMG|LEGEND|LI|MAIN|NAV|OL|P|PRE|SECTION|SUMMARY|TABLE|TBODY|TD|TFOOT|TH|THEAD|TR|UL)$/,
      // digits with up to 3 separators between groups: spaces (nbsp, thin), dashes, dots, parens, slash
      RUN = /(?:\+\s?)?\d+(?:[\s\u00ad\u200b-\u200d\u2010-\u2015\u2060\u2212.()/-]{1,3}\d+)*/g,
      cur, grp;

    function sel(x) {
      try { if (x) { d.createDocumentFragment().querySelector(x); return x; } } catch (e) {}
      return '';
    }
    function id(x) { return /^[\w-]{8,64}$/.test(x) ? x : null; } // the server's own id format
    function dig(x) { return String(x == null ? '' : x).replace(/\D/g, ''); }

    /* ---- cookies, visitor and session ---- */
    function gc(n) {
      var m = d.cookie.match(new RegExp('(?:^|;\\s*)' + n + '=([^;]*)'));
      try { return m ? decodeURIComponent(m[1]) : null; } catch (e) { return m[1]; }
    }
    function sc(n, v, a) {
      d.cookie = n + '=' + encodeURIComponent(v) + ';path=/;max-age=' + a + ';SameSite=Lax' +
        (location.protocol === 'https:' ? ';Secure' : '');
    }
    function ckey() {
      var q = new URL(location.href).searchParams;
      return CK.filter(function (k) { return q.has(k); })
        .map(function (k) { return k + '=' + encodeURIComponent(q.get(k)); }).join('&');
    }
    function prev() { // the stored session, unless idle for 30 min or a new campaign arrived
      var p = (gc('_cs_ses') || '').split('|'), c = p.slice(2).join('|');
      if (p[0] && Date.now() - p[1] < 18e5 && (!CAMP || CAMP === c)) { CAMP = c; return p[0]; }
      return null;
    }
    function save() {
      if (!ok || !SID) return;
      if (VID) sc('_cs_vid', VID, 63072000);
      sc('_cs_ses', SID + '|' + Date.now() + '|' + CAMP, 1800);
    }
    function ga() {
      var m = (gc('_ga') || '').match(/^GA\d+\.\d+\.(.+)$/);
      return m ? m[1] : null;
    }

    /* ---- server ---- */
    // text/plain keeps it a CORS "simple request": no preflight round trip before each call.
    function post(p, b, f) {
      var c = w.AbortController && new AbortController(), t = c && setTimeout(function () { c.abort(); }, TO);
      fetch(API + p, {
        method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(b),
        credentials: 'omit', signal: c ? c.signal : void 0
      }).then(function (r) {
        return r.text().then(function (x) {
          var j = null;
          try { j = JSON.parse(x); } catch (e) {}
          return [r.status, j];
        });
      }).catch(function () { return [0]; })
        .then(function (a) { clearTimeout(t); f(a[0], a[1]); })
        .catch(function () {});
    }
    function start(sid) {
      if (!ok || busy) return;
      busy = 1;
      var at = location.href;
      post('/sessions', {
        visitor_id: VID || id(gc('_cs_vid')), session_id: id(sid), url: at, referrer: d.referrer || null,
        ga_client_id: ga(), ym_uid: gc('_ym_uid'), user_agent: nav.userAgent
      }, function (st, j) {
        busy = 0;
        if (!ok || st < 200 || st > 299 || !j || !j.session_id) return;
        VID = j.visitor_id || VID;
        SID = j.session_id;
        PING = (j.ping_seconds | 0) * 1e3;
        save();
        restore();
        RAW = Array.isArray(j.swaps) ? j.swaps : [];
        SW = RAW.map(prep).filter(Boolean);
        all();
        observe();
        if (location.href !== at) ping(); else beat();
      });
    }
    function ping() {
      if (!ok || !SID || busy) return;
      var was = SID;
      beat();
      post('/sessions/' + encodeURIComponent(SID) + '/ping', { url: location.href }, function (st, j) {
        if (st === 404 && was === SID) start(null);
        else if (st > 199 && st < 300) {
          if (j && j.ping_seconds > 0) PING = j.ping_seconds * 1e3;
          save();
        }
      });
    }
    function beat() {
      clearTimeout(HB);
      if (ok && SID && PING > 0 && d.visibilityState === 'visible') HB = setTimeout(g(ping), PING);
    }

    /* ---- numbers ---- */
    // variants: [digits, kind, replacement digits]; kind 0 national, 1 international,
    // 2 international with the trunk prefix ("+49 (0)30"), 3 "00" + international
    function prep(s) {
      var f = dig(s && s.from), t = dig(s && s.to), c, p, n, tn;
      if (!f || !t) return null;
      c = dig(s.cc);
      p = dig(s.national_prefix);
      if (f.indexOf(c)) c = '';
      n = f.slice(c.length);
      tn = t.indexOf(c) ? null : t.slice(c.length);
      return {
        to: '+' + t, disp: s.display || '+' + t,
        v: c ? [[c + p + n, 2, tn && c + p + tn], [p + n, 0, tn && p + tn], [f, 1, t], ['00' + f, 3, '00' + t], [n, 0, tn]]
          : [[f, 1, t]]
      };
    }
    function find(gs, i, plus) { // the first variant made of whole digit groups from group i on
      for (var a = 0; a < SW.length; a++) {
        for (var b = 0; b < SW[a].v.length; b++) {
          var v = SW[a].v[b], k = v[1], x = '', j = i;
          if (plus ? k !== 1 && k !== 2 : k === 2) continue;
          while (j < gs.length && x.length < v[0].length && !v[0].indexOf(x += gs[j++][1]));
          if (x === v[0]) return [SW[a], v, j];
        }
      }
    }
    function put(C, T, p, v, a, b, s0) {
      var R = v[2], x, y = 0;
      if (FMT === 'keep' && R && R.length === v[0].length) {
        for (x = a; x < b; x++) if (/\d/.test(T[x])) C[x] = R[y++];
      } else {
        if (s0 < 0) s0 = T[a - 1] === '(' ? a - 1 : a;
        C[s0] = FMT === 'e164' || (FMT === 'keep' && v[1]) ? p.to : p.disp;
        for (x = s0 + 1; x < b; x++) C[x] = '';
      }
    }
    function write(n, t) {
      var r = W.get(n), k = (N.get(n) || 0) + 1;
      N.set(n, k);
      if (k > 30) return; // something keeps reverting this node: leave it be
      if (!r || r.w !== n.data) W.set(n, r = { o: n.data });
      r.w = t;
      n.data = t;
    }
    function fix(ns) { // one run of text nodes in one block: match on the joined text, write back per node
      var T = '', C, off = [], m, i, h, gs, q, x, plus;
      ns.forEach(function (n) { off.push(T.length); T += n.data; });
      if (!/\d/.test(T)) return;
      RUN.lastIndex = 0;
      while ((m = RUN.exec(T))) {
        gs = [];
        q = /\d+/g;
        plus = m[0][0] === '+';
        while ((x = q.exec(m[0]))) gs.push([m.index + x.index, x[0]]);
        for (i = 0; i < gs.length && !(plus && i); i++) {
          h = find(gs, i, plus);
          if (!h) continue;
          C = C || T.split('');
          x = gs[h[2] - 1];
          put(C, T, h[0], h[1], gs[i][0], x[0] + x[1].length, plus ? m.index : -1);
          i = h[2] - 1;
        }
      }
      if (C) ns.forEach(function (n, z) {
        var t = C.slice(off[z], off[z] + n.data.length).join('');
        if (t !== n.data) write(n, t);
      });
    }
    function links(e) {
      var a = [].slice.call(e.querySelectorAll('a[href]'));
      if (e.matches('a[href]')) a.push(e);
      a.forEach(function (el) {
        var h = el.getAttribute('href'), m = h.match(/^\s*(tel|callto):\s*(\+?)([^;,?]*)/i), x, r;
        if (!m || el.closest(SKIP)) return;
        x = dig(m[3]);
        SW.some(function (p) {
          return p.v.some(function (v) {
            if (v[0] !== x || (m[2] ? v[1] !== 1 && v[1] !== 2 : v[1] === 2)) return false;
            r = H.get(el);
            if (!r || r.w !== h) H.set(el, r = { o: h });
            el.setAttribute('href', r.w = m[1] + ':' + p.to);
            return true;
          });
        });
      });
    }
    function brk() {
      if (cur.length) grp.push(cur);
      cur = [];
    }
    function walk(e) {
      for (var c = e.firstChild, b; c; c = c.nextSibling) {
        if (c.nodeType === 3) cur.push(c);
        else if (c.nodeType === 1) {
          if (c.matches(SKIP)) brk();
          else {
            b = BLOCK.test(c.tagName);
            if (b) brk();
            walk(c);
            if (b) brk();
          }
        }
      }
    }
    function scan(e) {
      if (!SW.length || !e || e.nodeType !== 1 || !e.isConnected || e.closest(SKIP)) return;
      cur = [];
      grp = [];
      walk(e);
      brk();
      grp.forEach(fix);
      links(e);
    }
    function all() {
      if (SW.length) (INC ? [].slice.call(d.querySelectorAll(INC)) : [d.body || d.documentElement]).forEach(scan);
      if (OB) OB.takeRecords(); // our own writes
    }
    function restore() { // put back what we wrote before applying another session's numbers
      W.forEach(function (r, n) { if (n.data === r.w) n.data = r.o; });
      H.forEach(function (r, a) { if (a.getAttribute('href') === r.w) a.setAttribute('href', r.o); });
      W.clear();
      H.clear();
    }
    function blk(e, top) {
      while (e !== top && !BLOCK.test(e.tagName) && e.parentElement) e = e.parentElement;
      return e;
    }
    function unit(n, u) { // what to rescan for a changed node: its block (inside an include root)
      var e = n.nodeType === 1 ? n : n.parentElement, r;
      if (!e || !e.isConnected) return;
      if (INC) {
        r = e.closest(INC);
        if (r) u.add(blk(e, r));
        else e.querySelectorAll(INC).forEach(function (x) { u.add(x); });
      } else if (d.body && d.body.contains(e)) u.add(blk(e, d.body));
    }
    function observe() {
      if (OB || !w.MutationObserver) return;
      OB = new MutationObserver(g(function (rs) {
        var u = new Set();
        rs.forEach(function (r) {
          if (r.type === 'childList') r.addedNodes.forEach(function (n) { unit(n, u); });
          else unit(r.target, u);
        });
        u.forEach(scan);
        OB.takeRecords(); // drop the records of our own writes: no loops
      }));
      OB.observe(d.documentElement, {
        childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['href']
      });
    }

    /* ---- page life ---- */
    var route = g(function () {
      if (location.href === LAST) return;
      LAST = location.href;
      save();
      ping();
    });
    ['pushState', 'replaceState'].forEach(function (k) {
      var f = history[k];
      if (typeof f === 'function') history[k] = function () { var r = f.apply(this, arguments); route(); return r; };
    });
    w.addEventListener('popstate', route);
    d.addEventListener('visibilitychange', g(function () {
      if (d.visibilityState === 'visible') ping(); else clearTimeout(HB);
    }));
    if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', g(all));

    api.rescan = g(all);
    api.consent = g(function (v) {
      if (v) {
        if (ok) return;
        ok = 1;
        if (SID) { save(); beat(); } else start(prev());
      } else {
        ok = 0;
        clearTimeout(HB);
        VID = SID = null;
        sc('_cs_vid', '', 0);
        sc('_cs_ses', '', 0);
      }
    });
    if (ok) start(prev());
  })();
})(window, document);
