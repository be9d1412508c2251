// Agent console (templates/agent.html). Talks only to the box's own API
// with the session cookie and the page's CSRF token; follows the CTI event
// stream and reconnects with the last event ID it saw. Text from the
// server is inserted as text, except the screen pop, which the server
// renders (and escapes) with html/template.
'use strict';
(() => {
  const root = document.getElementById('console');
  if (!root) return;
  const S = JSON.parse(document.getElementById('console-strings').textContent);
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  const agentID = root.dataset.agent || '';
  const $ = (id) => document.getElementById(id);

  let state = 'unknown';
  let since = 0; // ms, when the agent entered state
  let callID = ''; // the call the controls act on
  let wrapCall = ''; // the call the wrap-up form saves for
  let held = false;
  let ringing = false; // a call was offered and is not answered or gone yet

  // --- messages and requests

  function say(text, bad) {
    const m = $('msg');
    m.textContent = text;
    m.classList.toggle('bad', !!bad);
  }

  async function errorText(r) {
    try {
      const j = await r.json();
      if (j.error) return j.error;
      if (j.errors) return Object.values(j.errors).join('; ');
    } catch (e) { /* not JSON */ }
    return String(r.status);
  }

  async function send(method, path, body) {
    const r = await fetch(path, {
      method, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body === undefined ? '{}' : JSON.stringify(body),
    });
    if (!r.ok) throw new Error(await errorText(r));
    return r;
  }

  async function act(method, path, body, okText) {
    unlockAlerts();
    try {
      const r = await send(method, path, body);
      say(okText || S['agentui.done']);
      return r;
    } catch (e) {
      say(S['agentui.failed'].replace('%s', e.message), true);
      return null;
    }
  }

  // --- state

  function fmt(sec) {
    sec = Math.max(0, Math.round(sec));
    const h = Math.floor(sec / 3600), m = Math.floor(sec / 60) % 60, s = sec % 60;
    const mm = h ? String(m).padStart(2, '0') : String(m);
    return (h ? h + ':' : '') + mm + ':' + String(s).padStart(2, '0');
  }

  function setState(st, at, reason) {
    state = st || 'unknown';
    since = at ? Date.parse(at) : Date.now();
    const b = $('state');
    b.className = 'state-badge s-' + state;
    b.textContent = (S['agentui.state.' + state] || S['agentui.state.unknown']) + (reason ? ' · ' + (S['agentui.reason.' + reason] || reason) : '');
    // Offer only the moves that make sense from here.
    const out = state === 'loggedout';
    const dis = (sel, v) => { const el = document.querySelector(sel); if (el) el.disabled = v; };
    dis('#btn-ready', state === 'available' || out);
    dis('#pause-form button', state === 'paused' || out);
    dis('#btn-logout', out);
    dis('#login-form button', !out && state !== 'unknown');
    setCall(callID);
  }

  function tick() {
    const t = $('state-time');
    t.textContent = since && state !== 'unknown' ? fmt((Date.now() - since) / 1000) : '';
  }

  function setCall(id) {
    callID = id || '';
    $('call-id').textContent = callID;
    const live = !!callID && (ringing || state === 'oncall' || state === 'ringing');
    $('btn-hangup').disabled = !live;
    $('btn-hold').disabled = !live;
    for (const b of document.querySelectorAll('#xfer-form button')) b.disabled = !live;
    if (!live) { held = false; holdLabel(); }
    document.querySelector('.call').classList.toggle('ringing', ringing || state === 'ringing');
  }

  function holdLabel() {
    const b = $('btn-hold');
    b.textContent = held ? S['agentui.resume'] : S['agentui.hold'];
    b.classList.toggle('on', held);
  }

  function setWrap(id) {
    wrapCall = id || '';
    document.querySelector('#wrap-form button').disabled = !wrapCall;
  }

  async function loadAgent() {
    if (!agentID) return;
    const r = await fetch('/api/v1/agents/' + encodeURIComponent(agentID), { credentials: 'same-origin' });
    if (!r.ok) return;
    const a = await r.json();
    if (a.callId && a.callId !== callID) {
      callID = a.callId;
      showPop(a.callId);
      setWrap(a.callId);
    }
    setState(a.state, a.since, a.reason);
    stats(a);
  }

  function stats(a) {
    $('st-calls').textContent = a.calls;
    $('st-offers').textContent = a.offers;
    $('st-missed').textContent = a.missed;
    $('st-talk').textContent = fmt(a.talkSeconds);
    $('st-wrap').textContent = fmt(a.wrapSeconds);
    $('st-aht').textContent = a.calls ? fmt((a.talkSeconds + a.wrapSeconds) / a.calls) : '–';
  }

  // --- screen pop, sound and notification

  async function showPop(id) {
    const r = await fetch('/agent/pop/' + encodeURIComponent(id), { credentials: 'same-origin' });
    if (!r.ok) return;
    // The fragment is rendered and escaped by the server's html/template.
    $('pop').innerHTML = await r.text();
    script(id);
  }

  // --- the queue's agent script, walked one step at a time; every answer
  // is saved with the call (POST /api/v1/calls/{id}/script).

  function script(id) {
    const list = document.querySelector('#pop ol.script');
    if (!list) return;
    const answers = [];
    let at = list.dataset.start;
    function show() {
      for (const li of list.children) {
        const done = answers.some((a) => a.node === li.dataset.node);
        li.classList.toggle('done', done);
        li.classList.toggle('current', !done && li.dataset.node === at);
        li.classList.toggle('later', !done && li.dataset.node !== at);
      }
    }
    async function answer(li, value, label, next) {
      const err = document.querySelector('#pop .script-err');
      err.textContent = '';
      answers.push({ node: li.dataset.node, value });
      try {
        await send('POST', '/api/v1/calls/' + encodeURIComponent(id) + '/script', { answers });
      } catch (e) {
        answers.pop();
        err.textContent = e.message;
        return;
      }
      li.querySelector('.given').textContent = '→ ' + label;
      at = next || '';
      show();
    }
    list.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-value]');
      const li = b && b.closest('li');
      if (li && li.dataset.node === at) answer(li, b.dataset.value, b.textContent, b.dataset.next);
    });
    list.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const li = ev.target.closest('li');
      const v = ev.target.elements.value.value.trim();
      if (li && li.dataset.node === at && v) answer(li, v, v, li.dataset.next);
    });
    show();
  }

  let audio = null;
  // Browsers let a page make sound, and ask for notifications, only after
  // a click; every button of the console unlocks both.
  function unlockAlerts() {
    if (!audio && window.AudioContext) audio = new AudioContext();
    if (audio && audio.state === 'suspended') audio.resume();
    if (window.Notification && Notification.permission === 'default') Notification.requestPermission();
  }

  function beep() {
    if (!audio) return;
    const t0 = audio.currentTime;
    for (let i = 0; i < 3; i++) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.type = 'sine';
      o.frequency.value = i % 2 ? 660 : 880;
      g.gain.setValueAtTime(0.0001, t0 + i * 0.25);
      g.gain.exponentialRampToValueAtTime(0.3, t0 + i * 0.25 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.25 + 0.2);
      o.connect(g).connect(audio.destination);
      o.start(t0 + i * 0.25);
      o.stop(t0 + i * 0.25 + 0.22);
    }
  }

  function ring(p) {
    beep();
    const who = (p.customer && p.customer.name) || (p.caller && p.caller.name) || p.number ||
      (p.caller && p.caller.number) || S['agentui.ring.unknown'];
    if (window.Notification && Notification.permission === 'granted') {
      const n = new Notification(S['agentui.ring.title'], { body: S['agentui.ring.body'].replace('%s', who), tag: 'call-' + p.callId });
      n.onclick = () => { window.focus(); n.close(); };
    }
    document.title = '☎ ' + document.title.replace(/^☎ /, '');
  }

  // --- event stream

  let lastID = '';
  let es = null;
  let retry = 1000;

  function streamState(live) {
    const s = $('stream');
    s.className = 'stream ' + (live ? 'live' : 'lost');
    s.textContent = live ? S['agentui.stream.live'] : S['agentui.stream.lost'];
  }

  function mine(d) { return d && (d.agent === agentID); }

  const handlers = {
    'call.offered': (p) => {
      if (!mine(p)) return;
      ringing = true;
      setCall(p.callId);
      setWrap(p.callId);
      showPop(p.callId);
      ring(p);
    },
    'call.pop': (p) => { if (mine(p) && p.callId === callID) showPop(p.callId); },
    'call.answered': (c) => {
      if (!mine(c)) return;
      ringing = false;
      document.title = document.title.replace(/^☎ /, '');
      setCall(c.id);
    },
    'call.ended': (c) => {
      if (!mine(c) && c.id !== callID) return;
      document.title = document.title.replace(/^☎ /, '');
      if (c.id === callID) { ringing = false; setCall(''); }
      loadAgent();
    },
    'agent.state': (e) => {
      if (!mine(e)) return;
      if (e.callId) callID = e.callId;
      if (e.to !== 'ringing') ringing = false;
      setState(e.to, e.meta && e.meta.at, e.reason);
      if (e.to !== 'ringing') document.title = document.title.replace(/^☎ /, '');
      loadAgent();
    },
    'reset': () => { say(S['agentui.stream.reset']); loadAgent(); loadCallbacks(); },
  };

  function connect() {
    // EventSource itself reconnects after a dropped connection and sends
    // Last-Event-ID; when it gives up (an error answer, a restart), a new
    // one is opened here with the last ID as a query parameter.
    es = new EventSource('/api/v1/events' + (lastID ? '?lastEventId=' + encodeURIComponent(lastID) : ''));
    es.onopen = () => { retry = 1000; streamState(true); };
    es.onerror = () => {
      streamState(false);
      if (es.readyState === EventSource.CLOSED) {
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      }
    };
    for (const [type, fn] of Object.entries(handlers)) {
      es.addEventListener(type, (ev) => {
        if (ev.lastEventId) lastID = ev.lastEventId;
        let d = {};
        try { d = JSON.parse(ev.data); } catch (e) { return; }
        fn(d);
      });
    }
  }

  // --- callbacks

  async function loadCallbacks() {
    const r = await fetch('/agent/callbacks', { credentials: 'same-origin' });
    if (r.ok) $('callbacks').innerHTML = await r.text();
  }

  // --- buttons

  const agentPath = (a) => '/api/v1/agents/' + encodeURIComponent(agentID) + '/' + a;
  const callPath = (a) => '/api/v1/calls/' + encodeURIComponent(callID) + '/' + a;

  function on(id, ev, fn) { const el = $(id); if (el) el.addEventListener(ev, fn); }

  on('login-form', 'submit', async (ev) => {
    ev.preventDefault();
    if (await act('POST', agentPath('login'), { extension: $('login-ext').value.trim() })) loadAgent();
  });
  on('btn-ready', 'click', async () => { if (await act('POST', agentPath('ready'))) loadAgent(); });
  on('pause-form', 'submit', async (ev) => {
    ev.preventDefault();
    if (await act('POST', agentPath('pause'), { reason: $('pause-reason').value.trim() })) loadAgent();
  });
  on('btn-logout', 'click', async () => { if (await act('POST', agentPath('logout'))) loadAgent(); });
  on('btn-hangup', 'click', () => act('POST', callPath('hangup')));
  on('btn-hold', 'click', async () => {
    if (await act('POST', callPath(held ? 'resume' : 'hold'))) { held = !held; holdLabel(); }
  });
  on('xfer-form', 'submit', (ev) => {
    ev.preventDefault();
    const op = ev.submitter && ev.submitter.value === 'conference' ? 'conference' : 'transfer';
    act('POST', callPath(op), { target: $('xfer-target').value.trim() });
  });
  on('wrap-form', 'submit', async (ev) => {
    ev.preventDefault();
    const err = $('wrap-err');
    err.textContent = '';
    try {
      await send('POST', '/api/v1/calls/' + encodeURIComponent(wrapCall) + '/wrapup',
        { code: $('wrap-code').value.trim(), notes: $('wrap-notes').value });
      say(S['agentui.wrap.saved']);
      $('wrap-code').value = '';
      $('wrap-notes').value = '';
      setWrap('');
    } catch (e) {
      err.textContent = e.message;
    }
  });
  function dial(number) {
    return act('POST', '/api/v1/calls', { number }, S['agentui.dial.placed']);
  }
  on('dial-form', 'submit', (ev) => { ev.preventDefault(); dial($('dial-number').value.trim()); });
  on('callbacks', 'click', (ev) => {
    const b = ev.target.closest('button[data-dial]');
    if (b) dial(b.dataset.dial);
  });
  document.addEventListener('click', unlockAlerts, { once: true });

  setState('unknown');
  setCall('');
  setWrap('');
  loadAgent();
  loadCallbacks();
  connect();
  setInterval(tick, 1000);
  setInterval(loadCallbacks, 30000);
  setInterval(loadAgent, 30000);
})();
