// The triggergen operator console. It talks only to the management API next
// to it (../ from this page), sends the token as a bearer header, keeps it in
// sessionStorage (this tab only) and builds every element with the DOM API:
// text from the server is always set as text, never parsed as HTML.
(function () {
  'use strict';

  const TOKEN_KEY = 'triggergen.console.token';
  const REFRESH_MS = 2000;
  const HIDDEN_REFRESH_MS = 15000;
  const LIST_SAMPLES = 30;
  const DETAIL_SAMPLES = 60;
  const API = new URL('../', document.baseURI).href;

  const state = {
    token: '',
    who: null,
    status: null,
    health: null,
    triggers: [],
    latency: {},
    facts: {}, // name -> details/ answer: retries, timeout_ms, queue, bulk, source
    detail: null,
    detailError: null,
    detailLatency: null,
    logs: null,
    logsError: null,
    config: null,
    route: { view: 'triggers', param: '', query: new URLSearchParams() },
    timer: 0,
    busy: false,
    again: false,
    confirmEngine: false,
    detailFor: '',
  };

  // ---- DOM helpers ----

  const $ = (sel) => document.querySelector(sel);

  function add(node, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      node.append(k instanceof Node ? k : String(k));
    }
    return node;
  }

  // el builds an element; props are attributes, except class, text, on*
  // (listeners) and dataset. Children are nodes or strings (as text).
  function el(tag, props, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') n.className = v;
      else if (k === 'text') n.textContent = v;
      else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(n.dataset, v);
      else n.setAttribute(k, v === true ? '' : String(v));
    }
    return add(n, kids);
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...kids) {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, String(v));
    return add(n, kids);
  }

  // keepFocus runs render and gives the focus back to the element with the
  // same data-key, so that a refresh does not take it from the keyboard.
  function keepFocus(render) {
    const a = document.activeElement;
    const key = a && a.dataset ? a.dataset.key : '';
    render();
    if (key) {
      const n = document.querySelector('[data-key="' + CSS.escape(key) + '"]');
      if (n && n !== document.activeElement) n.focus();
    }
  }

  // patch rebuilds node's children only when deps differ from the last
  // time, so that a refresh leaves alone what did not change (and a click in
  // progress on it).
  const sigs = new WeakMap();
  function patch(node, deps, build) {
    const sig = JSON.stringify(deps);
    if (sigs.get(node) === sig) return;
    sigs.set(node, sig);
    keepFocus(() => {
      node.replaceChildren();
      add(node, [build()]);
    });
  }

  // reconcile makes nodes the element children of parent, in order, moving
  // only the nodes that are out of place.
  function reconcile(parent, nodes) {
    for (let i = 0; i < nodes.length; i++) {
      const cur = parent.children[i];
      if (cur !== nodes[i]) parent.insertBefore(nodes[i], cur || null);
    }
    while (parent.children.length > nodes.length) parent.lastElementChild.remove();
  }

  const enc = encodeURIComponent;

  function cls(...names) {
    return names.filter(Boolean).join(' ');
  }

  // ---- formatting ----

  function ms(v) {
    if (v === null || v === undefined) return '–';
    if (v === 0) return '0 ms';
    if (v < 1) return v.toFixed(2) + ' ms';
    if (v < 10) return v.toFixed(1) + ' ms';
    if (v < 1000) return Math.round(v) + ' ms';
    return +(v / 1000).toFixed(v < 10000 ? 2 : 1) + ' s';
  }

  function pct(v) {
    return (v >= 99.95 && v < 100 ? '99.9' : v.toFixed(v === 100 || v === 0 ? 0 : 1)) + '%';
  }

  function when(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d) || d.getFullYear() < 1971) return '–';
    const now = new Date();
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    return d.toDateString() === now.toDateString() ? time : d.toLocaleDateString() + ' ' + time;
  }

  function ago(seconds) {
    if (seconds < 60) return Math.floor(seconds) + 's';
    if (seconds < 3600) return Math.floor(seconds / 60) + 'm';
    if (seconds < 86400) return Math.floor(seconds / 3600) + 'h ' + Math.floor((seconds % 3600) / 60) + 'm';
    return Math.floor(seconds / 86400) + 'd ' + Math.floor((seconds % 86400) / 3600) + 'h';
  }

  // ---- the API ----

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || 'HTTP ' + status);
      this.status = status;
      this.code = (body && body.code) || '';
      this.hint = (body && body.hint) || '';
    }
  }

  function errText(e) {
    return (e.code ? e.code + ': ' : '') + e.message + (e.hint ? ' (' + e.hint + ')' : '');
  }

  async function call(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(API + path, init);
    } catch (e) {
      throw new ApiError(0, { code: 'unreachable', message: 'the server cannot be reached' });
    }
    let data = null;
    try {
      data = await resp.json();
    } catch (e) {
      data = null;
    }
    if (!resp.ok) {
      const err = new ApiError(resp.status, data);
      if (resp.status === 401 && state.who) signOut('The server no longer accepts the token (' + err.message + '). Sign in again.');
      throw err;
    }
    return data;
  }

  const get = (path) => call('GET', path);

  // settle resolves to [value, error] instead of rejecting.
  function settle(p) {
    return p.then((v) => [v, null], (e) => [null, e]);
  }

  // ---- signing in and out ----

  async function signIn(token, automatic) {
    state.token = token;
    let who;
    try {
      who = await get('whoami/');
    } catch (e) {
      state.token = '';
      sessionStorage.removeItem(TOKEN_KEY);
      let msg = errText(e);
      if (e.code === 'invalid_token') msg = 'The token was refused. Check it and try again.';
      else if (e.code === 'missing_token') msg = automatic ? '' : 'Enter the token.';
      showLogin(msg);
      return;
    }
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    state.who = who;
    $('#login').hidden = true;
    $('#app').hidden = false;
    $('#token').value = '';
    renderWho();
    route();
  }

  function signOut(message) {
    clearTimeout(state.timer);
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = '';
    state.who = null;
    state.facts = {};
    state.detailFor = '';
    $('#app').hidden = true;
    $('#engine').hidden = true;
    $('#who').hidden = true;
    showLogin(message || '');
  }

  function showLogin(message) {
    $('#login').hidden = false;
    $('#app').hidden = true;
    const e = $('#login-error');
    e.textContent = message;
    e.hidden = !message;
    $('#token').focus();
  }

  // ---- rights ----

  function can(endpoint) {
    return !!(state.who && state.who.endpoints && state.who.endpoints[endpoint]);
  }

  function rights(name) {
    const r = state.who && state.who.triggers && state.who.triggers[name];
    return r || { details: false, toggle: false, execute: false };
  }

  // ---- routing ----

  function parseHash() {
    const h = location.hash.replace(/^#\/?/, '');
    const q = h.indexOf('?');
    const path = q < 0 ? h : h.slice(0, q);
    const parts = path.split('/');
    let view = parts[0] || 'triggers';
    if (!['triggers', 'trigger', 'log', 'config'].includes(view)) view = 'triggers';
    let param = '';
    try {
      param = decodeURIComponent(parts.slice(1).join('/'));
    } catch (e) {
      param = '';
    }
    if (view === 'trigger' && !param) view = 'triggers';
    return { view, param, query: new URLSearchParams(q < 0 ? '' : h.slice(q + 1)) };
  }

  function route() {
    if (!state.who) return;
    state.route = parseHash();
    const v = state.route.view;
    for (const name of ['triggers', 'trigger', 'log', 'config']) $('#view-' + name).hidden = name !== v;
    for (const [tab, on] of [['triggers', v === 'triggers' || v === 'trigger'], ['log', v === 'log'], ['config', v === 'config']]) {
      const a = $('#tab-' + tab);
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    $('#tab-log').hidden = !can('logs');
    if (v === 'trigger' && state.detailFor !== state.route.param) {
      state.detail = null;
      state.detailError = null;
      state.detailLatency = null;
      buildDetail(state.route.param);
    }
    if (v === 'log') syncLogFilters();
    if (v === 'config') renderConfig();
    document.title = (v === 'trigger' ? state.route.param : { triggers: 'Triggers', log: 'Log', config: 'Configuration' }[v]) + ' · triggergen console';
    refresh();
  }

  // ---- refreshing ----

  function refresh() {
    if (!state.who) return;
    if (state.busy) {
      state.again = true;
      return;
    }
    clearTimeout(state.timer);
    state.busy = true;
    load()
      .then(() => setConn(''), (e) => setConn(e.status === 401 ? '' : 'Not refreshed: ' + errText(e)))
      .finally(() => {
        state.busy = false;
        if (!state.who) return;
        if (state.again) {
          state.again = false;
          refresh();
          return;
        }
        state.timer = setTimeout(tick, document.hidden ? HIDDEN_REFRESH_MS : REFRESH_MS);
      });
  }

  function tick() {
    if (document.hidden) {
      state.timer = setTimeout(tick, HIDDEN_REFRESH_MS);
      return;
    }
    refresh();
  }

  async function load() {
    const r = state.route;
    const jobs = {
      status: get('status/'),
      health: get('health/'),
      list: get('list/'),
    };
    if (r.view === 'triggers' && can('latency')) jobs.latency = settle(get('latency/?limit=' + LIST_SAMPLES));
    if (r.view === 'trigger') {
      jobs.detail = settle(get('details/' + enc(r.param) + '/'));
      if (can('latency')) jobs.detailLatency = settle(get('latency/?trigger=' + enc(r.param) + '&limit=' + DETAIL_SAMPLES));
    }
    if (r.view === 'log' && can('logs')) jobs.logs = settle(get('logs/?' + logQuery(r.query).toString()));
    if (r.view === 'config' && can('config/export')) jobs.config = settle(get('config/export/'));

    const [status, health, list] = await Promise.all([jobs.status, jobs.health, jobs.list]);
    if (!state.who) return; // signed out meanwhile
    state.status = status;
    state.health = health;
    state.triggers = list.triggers;
    if (state.triggers.some((t) => !(t.name in (state.who.triggers || {})))) {
      const [who] = await settle(get('whoami/'));
      if (!state.who) return;
      if (who) {
        state.who = who;
        renderWho();
      }
    }
    if (jobs.latency) {
      const [lat] = await jobs.latency;
      if (lat) {
        state.latency = {};
        for (const t of lat.triggers) state.latency[t.name] = t.samples;
      }
    }
    if (jobs.detail) {
      [state.detail, state.detailError] = await jobs.detail;
      if (state.detail) state.facts[state.detail.name] = state.detail;
    }
    if (jobs.detailLatency) {
      const [lat] = await jobs.detailLatency;
      state.detailLatency = lat && lat.triggers[0] ? lat.triggers[0].samples : null;
    }
    if (jobs.logs) [state.logs, state.logsError] = await jobs.logs;
    if (jobs.config) [state.config] = await jobs.config;
    if (!state.who || state.route !== r) return; // signed out, or another view asked for meanwhile

    render();
    $('#refreshed').textContent = 'Refreshed ' + new Date().toLocaleTimeString();
    if (r.view === 'triggers') loadFacts();
  }

  // loadFacts reads details/ once for the triggers whose retries and timeout
  // are not known yet (they do not change while the engine runs), a few at a
  // time.
  let loadingFacts = false;
  async function loadFacts() {
    if (loadingFacts) return;
    const missing = state.triggers.filter((t) => !state.facts[t.name] && rights(t.name).details).slice(0, 8);
    if (!missing.length) return;
    loadingFacts = true;
    try {
      const got = await Promise.all(missing.map((t) => settle(get('details/' + enc(t.name) + '/'))));
      for (let i = 0; i < missing.length; i++) state.facts[missing[i].name] = got[i][0] || { failed: true };
      if (state.who && state.route.view === 'triggers') renderTriggers();
    } finally {
      loadingFacts = false;
    }
  }

  function setConn(message) {
    const c = $('#conn');
    c.textContent = message;
    c.hidden = !message;
  }

  let toastTimer = 0;
  function toast(message, bad) {
    const t = $('#toast');
    t.textContent = message;
    t.className = bad ? 'error' : 'ok';
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      t.textContent = '';
    }, 6000);
  }

  // ---- rendering ----

  function render() {
    renderEngine();
    renderBanner();
    const v = state.route.view;
    if (v === 'triggers') renderTriggers();
    if (v === 'trigger') renderDetail();
    if (v === 'log') renderLog();
    if (v === 'config') renderConfig();
  }

  function renderWho() {
    const w = state.who;
    const parts = [];
    parts.push(w.read_only ? 'Read-only' : 'Operator');
    if (w.actor_id) parts.push(w.actor_id);
    if (w.via === 'insecure') parts.push('no token required');
    $('#who-text').textContent = parts.join(' · ');
    $('#who').classList.toggle('ro', !!w.read_only);
    $('#logout').hidden = !state.token;
    $('#who').hidden = false;
  }

  function renderEngine() {
    const s = state.status;
    const box = $('#engine');
    if (!box.firstChild) box.append(el('span', { id: 'engine-info', class: 'engine-info' }), el('span', { id: 'engine-ctl' }));
    box.hidden = false;
    const kids = [
      el('span', { class: cls('pill', s.engine_enabled ? 'on' : 'off'), id: 'engine-state' }, s.engine_enabled ? 'Engine on' : 'Engine off'),
      el('span', { class: cls('pill', s.system_healthy ? 'ok' : 'bad'), id: 'health-state' }, s.system_healthy ? 'Healthy' : 'Unhealthy'),
      el('span', { class: 'muted' }, s.enabled_triggers + ' of ' + s.total_triggers + ' triggers on'),
    ];
    if (s.queue) {
      kids.push(el('span', { class: 'muted', title: 'async queue: queued, running, capacity' },
        'queue ' + s.queue.queued + ' queued, ' + s.queue.running + ' running' + (s.queue.capacity ? ' of ' + s.queue.capacity : '')));
    }
    if (s.uptime_seconds !== undefined) kids.push(el('span', { class: 'muted' }, 'up ' + ago(s.uptime_seconds)));
    $('#engine-info').replaceChildren(...kids);
    patch($('#engine-ctl'), [s.engine_enabled, state.confirmEngine, can('engine/toggle')], () => engineControls(s));
  }

  function engineControls(s) {
    const kids = [];
    if (can('engine/toggle')) {
      if (state.confirmEngine && s.engine_enabled) {
        kids.push(el('span', { class: 'confirm' },
          'No trigger will run. ',
          el('button', { type: 'button', class: 'danger', id: 'engine-confirm', 'data-key': 'engine-confirm', onclick: () => setEngine(false) }, 'Switch the engine off'),
          ' ',
          el('button', { type: 'button', class: 'link', 'data-key': 'engine-cancel', onclick: () => { state.confirmEngine = false; renderEngine(); } }, 'Cancel')));
      } else {
        kids.push(el('button', {
          type: 'button', id: 'engine-switch', 'data-key': 'engine-switch', class: s.engine_enabled ? 'danger' : 'primary',
          onclick: () => {
            if (s.engine_enabled) {
              state.confirmEngine = true;
              renderEngine();
              $('#engine-confirm').focus();
            } else {
              setEngine(true);
            }
          },
        }, s.engine_enabled ? 'Switch engine off…' : 'Switch engine on'));
      }
    }
    return kids;
  }

  async function setEngine(on) {
    state.confirmEngine = false;
    try {
      const r = await call('POST', 'engine/toggle/', { enabled: on });
      toast('Engine switched ' + (r.engine_enabled ? 'on' : 'off'));
    } catch (e) {
      toast(errText(e), true);
    }
    refresh();
  }

  function issuesByTrigger() {
    const out = {};
    for (const i of (state.health && state.health.issues) || []) {
      if (!i.trigger) continue;
      (out[i.trigger] = out[i.trigger] || []).push(i);
    }
    return out;
  }

  function renderBanner() {
    const b = $('#banner');
    const h = state.health;
    if (!h || h.healthy) {
      b.hidden = true;
      return;
    }
    b.hidden = false;
    patch(b, h.issues, () => [
      el('strong', null, 'Unhealthy: ' + h.issues.length + (h.issues.length === 1 ? ' issue' : ' issues')),
      el('ul', null, h.issues.map((i) => el('li', { dataset: { code: i.code } },
        i.message,
        i.trigger ? [' — ', el('a', { href: '#/trigger/' + enc(i.trigger) }, 'open ' + i.trigger)] : null,
        i.trigger && can('logs') ? [' · ', el('a', { href: '#/log?trigger=' + enc(i.trigger) + '&outcome=' + (i.code === 'recent_timeouts' ? 'timeout' : 'failure') }, 'its errors')] : null)))]);
  }

  // chart draws the samples as bars, newest on the right, as tall as the
  // duration (relative to the slowest shown) and coloured by outcome.
  function chartLabel(samples) {
    const n = samples ? samples.length : 0;
    if (!n) return 'no runs recorded';
    const fails = samples.filter((s) => s.outcome !== 'success').length;
    return (n === 1 ? 'latest run' : n + ' latest runs') + ', slowest ' + ms(Math.max(...samples.map((s) => s.duration_ms))) + (fails ? ', ' + fails + ' not successful' : '');
  }

  function chart(samples, width, height, slots) {
    const n = samples ? samples.length : 0;
    const max = n ? Math.max(...samples.map((s) => s.duration_ms), 0.001) : 0;
    const label = chartLabel(samples);
    const s = svg('svg', { class: 'chart', width, height, viewBox: '0 0 ' + width + ' ' + height, preserveAspectRatio: 'none', role: 'img', 'aria-label': label });
    s.append(svg('title', null, label));
    s.append(svg('line', { class: 'base', x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5 }));
    const bw = width / Math.max(slots, n);
    for (let i = 0; i < n; i++) {
      const x = samples[i];
      const h = Math.max(3, (x.duration_ms / max) * (height - 2));
      s.append(svg('rect', {
        class: 'bar ' + x.outcome,
        x: (width - (n - i) * bw).toFixed(2), y: (height - h).toFixed(2),
        width: Math.max(1, bw - (bw > 3 ? 1 : 0)).toFixed(2), height: h.toFixed(2),
      }, svg('title', null, ms(x.duration_ms) + ' · ' + x.outcome + ' · ' + when(x.start))));
    }
    return s;
  }

  function triggerSwitch(t) {
    if (!rights(t.name).toggle) {
      return el('span', { class: cls('state', t.enabled ? 'on' : 'off'), dataset: { trigger: t.name } }, t.enabled ? 'on' : 'off');
    }
    return el('button', {
      type: 'button', role: 'switch', class: 'switch', 'aria-checked': String(t.enabled),
      'aria-label': (t.enabled ? 'Switch off ' : 'Switch on ') + t.name, title: (t.enabled ? 'On: switch off ' : 'Off: switch on ') + t.name,
      dataset: { key: 'switch:' + t.name, trigger: t.name },
      onclick: () => setTrigger(t.name, !t.enabled),
    });
  }

  async function setTrigger(name, on) {
    try {
      const r = await call('POST', 'toggle/' + enc(name) + '/', { enabled: on });
      toast(r.name + ' switched ' + (r.enabled ? 'on' : 'off'));
    } catch (e) {
      toast(errText(e), true);
    }
    refresh();
  }

  function flags(t, facts) {
    const out = [];
    if (t.async) out.push(el('span', { class: 'tag async' }, facts && facts.queue ? 'async: ' + facts.queue : 'async'));
    if (t.on_commit) out.push(el('span', { class: 'tag' }, 'on commit'));
    if (!t.async && !t.on_commit) out.push(el('span', { class: 'tag plain' }, 'inline'));
    if (facts && facts.bulk) out.push(el('span', { class: 'tag' }, 'bulk'));
    if (facts && facts.retries > 0) out.push(el('span', { class: 'tag' }, 'retries ' + facts.retries));
    if (facts && facts.timeout_ms > 0) out.push(el('span', { class: 'tag' }, 'timeout ' + ms(facts.timeout_ms)));
    return out;
  }

  function rateClass(s) {
    if (!s.executions) return '';
    return s.success_rate < 95 ? 'bad' : s.success_rate < 100 ? 'warn' : 'good';
  }

  // triggerRows holds each trigger's row; a refresh updates its cells in
  // place, each only when what it shows changed.
  let triggerRows = new Map();

  function triggerRow(t, issues) {
    let row = triggerRows.get(t.name);
    if (!row) {
      const c = ['switch-cell', 'name', 'model', 'events', 'cond', 'num', 'flags', 'num runs', 'num rate', 'num p50', 'num p95', 'spark']
        .map((k) => el('td', { class: k }));
      row = { tr: el('tr', { dataset: { trigger: t.name } }, c), c };
    }
    const c = row.c;
    const s = t.execution_stats;
    const ran = s.executions > 0;
    const facts = state.facts[t.name];
    row.tr.className = cls(!t.enabled && 'off', issues && 'issue');
    patch(c[0], [t.enabled, rights(t.name).toggle], () => triggerSwitch(t));
    patch(c[1], [t.description, issues], () => [
      el('a', { href: '#/trigger/' + enc(t.name), 'data-key': 'open:' + t.name }, t.name),
      issues ? el('span', { class: 'badge bad', title: issues.map((i) => i.message).join('\n') }, issues.length === 1 ? 'issue' : issues.length + ' issues') : null,
      t.description ? el('div', { class: 'desc', title: t.description }, t.description) : null]);
    patch(c[2], [t.model], () => t.model);
    patch(c[3], t.events, () => t.events.map((e) => el('span', { class: 'tag ev' }, e)));
    patch(c[4], t.conditions, () => (t.conditions.length ? t.conditions.join(' and ') : el('span', { class: 'muted' }, 'always')));
    patch(c[5], [t.priority], () => String(t.priority));
    patch(c[6], [t.async, t.on_commit, facts || null], () => flags(t, facts));
    c[7].title = s.successes + ' succeeded, ' + s.failures + ' failed, ' + s.skipped + ' skipped';
    c[7].textContent = String(s.executions);
    c[8].className = cls('num rate', rateClass(s));
    c[8].textContent = ran ? pct(s.success_rate) : '–';
    c[9].textContent = ran ? ms(s.p50_ms) : '–';
    c[10].textContent = ran ? ms(s.p95_ms) : '–';
    patch(c[11], [can('latency'), state.latency[t.name] || null], () => (can('latency') ? chart(state.latency[t.name], 100, 22, LIST_SAMPLES) : null));
    return row;
  }

  function renderTriggers() {
    const issues = issuesByTrigger();
    const q = $('#filter').value.trim().toLowerCase();
    const onlyIssues = $('#only-issues').checked;
    const shown = state.triggers.filter((t) => {
      if (onlyIssues && t.enabled && !issues[t.name]) return false;
      if (!q) return true;
      return [t.name, t.model, t.description, ...t.events].some((x) => x && x.toLowerCase().includes(q));
    });
    const rows = new Map();
    for (const t of state.triggers) rows.set(t.name, triggerRow(t, issues[t.name]));
    triggerRows = rows;
    reconcile($('#triggers tbody'), shown.map((t) => rows.get(t.name).tr));
    $('#no-triggers').hidden = shown.length > 0;
    let runs = 0;
    for (const t of state.triggers) runs += t.execution_stats.executions;
    $('#summary').textContent = shown.length + ' of ' + state.triggers.length + ' shown · ' + runs + ' runs in all';
  }

  // ---- one trigger ----

  function buildDetail(name) {
    state.detailFor = name;
    const v = $('#view-trigger');
    const r = rights(name);
    v.replaceChildren(
      el('p', { class: 'crumbs' }, el('a', { href: '#/triggers' }, '← All triggers')),
      el('div', { class: 'detail-head' },
        el('h2', { id: 'detail-name' }, name),
        el('span', { id: 'detail-switch' }),
        can('logs') ? el('a', { href: '#/log?trigger=' + enc(name) }, 'all its records') : null,
        can('logs') ? el('a', { href: '#/log?trigger=' + enc(name) + '&outcome=failure' }, 'its failures') : null),
      el('p', { id: 'detail-error', class: 'error', role: 'alert', hidden: true }),
      el('div', { id: 'detail-issues' }),
      el('div', { class: 'detail-grid' },
        el('dl', { id: 'detail-facts', class: 'facts' }),
        el('div', null,
          el('dl', { id: 'detail-stats', class: 'facts stats' }),
          el('div', { id: 'detail-chart' }))),
      r.execute ? runForm(name) : null,
      el('h3', null, 'Latest records'),
      el('div', { class: 'scroll' },
        el('table', { class: 'grid', id: 'detail-records' },
          el('thead', null, el('tr', null,
            ['Started', 'Instance', 'Event', 'Outcome', 'Duration', 'Attempt', 'Actor', 'Request', 'Error'].map((h) => el('th', { scope: 'col', class: h === 'Duration' || h === 'Attempt' ? 'num' : null }, h)))),
          el('tbody'))),
      el('p', { id: 'detail-no-records', class: 'muted', hidden: true }, 'No records. The audit sink may keep none.'));
  }

  function runForm(name) {
    return el('form', { id: 'run-form', class: 'run card', onsubmit: (ev) => { ev.preventDefault(); runNow(name); } },
      el('h3', null, 'Run now'),
      el('p', { class: 'muted' }, 'Runs the trigger\'s actions on a stored instance, without testing its conditions.'),
      el('div', { class: 'fields' },
        el('label', null, 'Model', el('input', { id: 'run-model', name: 'model', autocomplete: 'off' })),
        el('label', null, 'Instance key', el('input', { id: 'run-instance', name: 'instance_id', required: true, autocomplete: 'off', placeholder: 'key the model\'s loader finds' })),
        el('label', null, 'Event', el('select', { id: 'run-event', name: 'event' })),
        el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'run-force', name: 'force' }), 'run even when switched off'),
        el('button', { type: 'submit', id: 'run-submit', class: 'primary' }, 'Run')),
      el('p', { id: 'run-result', role: 'status' }));
  }

  async function runNow(name) {
    const body = {
      instance_id: $('#run-instance').value.trim(),
      event: $('#run-event').value,
      force: $('#run-force').checked,
    };
    const model = $('#run-model').value.trim();
    if (model) body.model = model;
    const out = $('#run-result');
    out.className = '';
    out.textContent = 'Running…';
    $('#run-submit').disabled = true;
    try {
      const r = await call('POST', 'execute/' + enc(name) + '/', body);
      out.className = 'ok';
      out.textContent = 'Ran on ' + r.model + ' ' + r.instance_id + ' (' + r.event + '): ' + r.outcome + ' in ' + ms(r.duration_ms) + '.';
    } catch (e) {
      out.className = 'error';
      out.textContent = 'Refused or failed: ' + errText(e);
    } finally {
      $('#run-submit').disabled = false;
    }
    refresh();
  }

  function facts(dl, pairs) {
    dl.replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
  }

  function renderDetail() {
    const name = state.route.param;
    const err = $('#detail-error');
    if (state.detailError) {
      err.textContent = state.detailError.status === 404 ? 'There is no trigger named ' + name + '.' : errText(state.detailError);
      err.hidden = false;
    } else {
      err.hidden = true;
    }
    const d = state.detail || state.triggers.find((t) => t.name === name);
    if (!d) return;
    patch($('#detail-switch'), [d.enabled, rights(name).toggle], () => [triggerSwitch(d), ' ', el('span', { class: 'muted' }, d.enabled ? 'on' : 'off')]);
    const issues = issuesByTrigger()[name] || [];
    $('#detail-issues').replaceChildren(...issues.map((i) => el('p', { class: 'issue-line' }, i.message)));

    const yes = (b) => (b ? 'yes' : 'no');
    facts($('#detail-facts'), [
      ['Model', d.model],
      ['Events', d.events.join(', ') || '–'],
      ['Condition', d.conditions.length ? d.conditions.join(' and ') : 'always'],
      ['Description', d.description || '–'],
      ['Priority', String(d.priority)],
      ['Async', d.async ? 'yes' + (d.queue ? ', queue ' + d.queue : '') : 'no'],
      ['On commit', yes(d.on_commit)],
      ['Retries', d.retries === undefined ? '…' : String(d.retries)],
      ['Timeout', d.timeout_ms === undefined ? '…' : d.timeout_ms > 0 ? ms(d.timeout_ms) : 'engine default'],
      ['Bulk', d.bulk === undefined ? '…' : yes(d.bulk)],
      ['Declared at', d.source || '–'],
    ]);
    const s = d.execution_stats;
    const ran = s.executions > 0;
    facts($('#detail-stats'), [
      ['Runs', String(s.executions)],
      ['Succeeded', String(s.successes)],
      ['Failed', String(s.failures)],
      ['Skipped', String(s.skipped)],
      ['Success rate', ran ? pct(s.success_rate) : '–'],
      ['Mean', ran ? ms(s.mean_ms) : '–'],
      ['p50', ran ? ms(s.p50_ms) : '–'],
      ['p95', ran ? ms(s.p95_ms) : '–'],
      ['Slowest', ran ? ms(s.max_ms) : '–'],
    ]);
    if (can('latency')) $('#detail-chart').replaceChildren(el('div', { class: 'muted small', id: 'detail-chart-label' }, chartLabel(state.detailLatency)), chart(state.detailLatency, 360, 64, DETAIL_SAMPLES));

    const model = $('#run-model');
    if (model && !model.dataset.filled) {
      model.value = d.model;
      model.dataset.filled = '1';
      $('#run-event').replaceChildren(...d.events.map((e) => el('option', { value: e }, e)), el('option', { value: 'custom' }, 'custom (manual run)'));
    }

    const recs = state.detail ? state.detail.recent_logs : [];
    reconcile($('#detail-records tbody'), records(detailRows, recs, false));
    $('#detail-no-records').hidden = !state.detail || recs.length > 0;
  }

  // records returns the rows of the records, reusing those of the last
  // refresh (a record never changes) and forgetting the others.
  const detailRows = { rows: new Map() };
  const logRows = { rows: new Map() };
  function records(cache, recs, withTrigger) {
    const rows = new Map();
    const out = recs.map((r) => {
      let key = [r.start, r.trigger, r.instance_id, r.event, r.attempt, r.outcome, r.request_id].join('\u0000');
      while (rows.has(key)) key += '+';
      const tr = cache.rows.get(key) || recordRow(r, withTrigger);
      rows.set(key, tr);
      return tr;
    });
    cache.rows = rows;
    return out;
  }

  // useInstance fills the run form with a record's instance and event.
  function useInstance(r) {
    const input = $('#run-instance');
    if (!input) return;
    input.value = r.instance_id;
    const ev = $('#run-event');
    if (Array.from(ev.options).some((o) => o.value === r.event)) ev.value = r.event;
    input.focus();
  }

  function recordRow(r, withTrigger) {
    const runnable = !withTrigger && rights(r.trigger).execute && r.instance_id;
    return el('tr', { class: 'rec ' + r.outcome, dataset: { outcome: r.outcome } },
      el('td', { title: r.start }, when(r.start)),
      withTrigger ? el('td', null, el('a', { href: '#/trigger/' + enc(r.trigger) }, r.trigger)) : null,
      withTrigger ? el('td', null, r.model) : null,
      el('td', null, runnable
        ? el('button', { type: 'button', class: 'link use', title: 'Fill the run form with this instance', onclick: () => useInstance(r) }, r.instance_id)
        : r.instance_id),
      el('td', null, r.event),
      el('td', null, el('span', { class: 'outcome ' + r.outcome }, r.outcome)),
      el('td', { class: 'num' }, ms(r.duration_ms)),
      el('td', { class: 'num' }, String(r.attempt)),
      el('td', null, r.actor_id),
      el('td', { class: 'mono' }, r.request_id),
      el('td', { class: 'err' }, r.error));
  }

  // ---- the log ----

  function logQuery(q) {
    const out = new URLSearchParams();
    for (const k of ['trigger', 'model', 'outcome']) if (q.get(k)) out.set(k, q.get(k));
    out.set('limit', q.get('limit') || '100');
    return out;
  }

  function options(select, values, anyLabel) {
    const cur = select.value;
    const want = [''].concat(values);
    const have = Array.from(select.options).map((o) => o.value);
    if (want.join('\n') !== have.join('\n')) {
      select.replaceChildren(...want.map((v) => el('option', { value: v }, v || anyLabel)));
      select.value = cur;
    }
  }

  function syncLogFilters() {
    const q = state.route.query;
    options($('#log-trigger'), state.triggers.map((t) => t.name), 'any');
    options($('#log-model'), [...new Set(state.triggers.map((t) => t.model))].sort(), 'any');
    for (const k of ['trigger', 'model', 'outcome']) {
      const s = $('#log-' + k);
      const v = q.get(k) || '';
      if (v && !Array.from(s.options).some((o) => o.value === v)) s.append(el('option', { value: v }, v));
      s.value = v;
    }
    $('#log-limit').value = q.get('limit') || '100';
  }

  function logFilterChanged() {
    const q = new URLSearchParams();
    for (const k of ['trigger', 'model', 'outcome']) {
      const v = $('#log-' + k).value;
      if (v) q.set(k, v);
    }
    if ($('#log-limit').value !== '100') q.set('limit', $('#log-limit').value);
    const s = q.toString();
    location.hash = '#/log' + (s ? '?' + s : '');
  }

  function renderLog() {
    syncLogFilters();
    const tbody = $('#log tbody');
    if (state.logsError) {
      tbody.replaceChildren();
      $('#log-count').textContent = errText(state.logsError);
      return;
    }
    const logs = (state.logs && state.logs.logs) || [];
    reconcile(tbody, records(logRows, logs, true));
    $('#log-count').textContent = logs.length + (logs.length === 1 ? ' record' : ' records') + ', newest first';
    $('#log-empty').hidden = logs.length > 0;
  }

  // ---- configuration ----

  function renderConfig() {
    $('#export').hidden = !can('config/export');
    $('#import-card').hidden = !can('config/import');
    $('#cache-card').hidden = !can('cache/clear');
    $('#config-current').textContent = state.config ? JSON.stringify(state.config, null, 2) : '';
  }

  async function exportConfig() {
    try {
      const cfg = await get('config/export/');
      const blob = new Blob([JSON.stringify(cfg, null, 2) + '\n'], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const a = el('a', { href: url, download: 'triggers.json', hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      configResult('Downloaded triggers.json (' + cfg.triggers.length + ' triggers).', false);
    } catch (e) {
      configResult('Export failed: ' + errText(e), true);
    }
  }

  async function importConfig() {
    const f = $('#import-file').files[0];
    if (!f) {
      configResult('Choose a file first.', true);
      return;
    }
    try {
      const text = await f.text();
      const cfg = await call('POST', 'config/import/', text);
      const on = cfg.triggers.filter((t) => t.enabled).length;
      configResult('Imported ' + f.name + ': engine ' + (cfg.engine_enabled ? 'on' : 'off') + ', ' + on + ' of ' + cfg.triggers.length + ' triggers on.', false);
      $('#import-file').value = '';
    } catch (e) {
      configResult('Import refused, nothing changed: ' + errText(e), true);
    }
    refresh();
  }

  async function clearCaches() {
    try {
      await call('POST', 'cache/clear/');
      configResult('Caches cleared.', false);
    } catch (e) {
      configResult('Not cleared: ' + errText(e), true);
    }
  }

  function configResult(message, bad) {
    const p = $('#config-result');
    p.textContent = message;
    p.className = bad ? 'error' : 'ok';
  }

  // ---- start ----

  function start() {
    $('#login-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = $('#token').value.trim();
      if (t) signIn(t, false);
    });
    $('#logout').addEventListener('click', () => signOut('Signed out.'));
    $('#filter').addEventListener('input', () => state.who && renderTriggers());
    $('#only-issues').addEventListener('change', () => state.who && renderTriggers());
    $('#log-filters').addEventListener('change', logFilterChanged);
    $('#log-filters').addEventListener('submit', (ev) => ev.preventDefault());
    $('#export').addEventListener('click', exportConfig);
    $('#import-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      importConfig();
    });
    $('#cache-clear').addEventListener('click', clearCaches);
    window.addEventListener('hashchange', route);
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) refresh();
    });
    signIn(sessionStorage.getItem(TOKEN_KEY) || '', true);
  }

  start();
})();
