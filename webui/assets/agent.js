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
  let handed = ''; // the agent's own call the queue does not show: handed over (transfer completed) or dialled
  let consultCall = ''; // the call this agent consults on, until complete or cancel

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
    const live = !!callID && (ringing || callID === handed || state === 'oncall' || state === 'ringing');
    $('btn-hangup').disabled = !live;
    $('btn-hold').disabled = !live;
    for (const b of document.querySelectorAll('#xfer-form button[type="submit"]')) b.disabled = !live;
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
    let cid = customerCall(a.callId);
    if (!cid) cid = await hubCall();
    if (cid && cid !== callID) {
      callID = cid;
      showPop(cid);
      setWrap(cid);
    }
    setState(a.state, a.since, a.reason);
    stats(a);
  }

  // hubCall asks the CTI for the agent's current call the queue does not
  // know (one handed to this extension, one dialled from the console),
  // so a reloaded console finds it again; '' when there is none.
  async function hubCall() {
    const r = await fetch('/api/v1/agents/' + encodeURIComponent(agentID) + '/call', { credentials: 'same-origin' });
    if (!r.ok) return '';
    const c = await r.json();
    if (c.kind !== 'queue') handed = c.callId;
    return c.callId || '';
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
  // A queue's agent rung for a consultation is on the dispatcher's own
  // ID of it ("<call ID>~q<N>"); the console acts on the customer's call.
  function customerCall(id) { return (id || '').replace(/~q\d+$/, ''); }

  const handlers = {
    'call.offered': (p) => {
      if (!mine(p)) return;
      if (p.kind === 'outbound') {
        // A call this agent dialled: the customer's pop, no ringing. A
        // follow-up's call leaves the agent on its task card, which
        // shows the same customer; the call tab has the call meanwhile.
        if (!fuOpen || $('panel-fu').hidden) showTab('call');
        handed = p.callId;
        setCall(p.callId);
        setWrap(p.callId);
        showPop(p.callId);
        return;
      }
      showTab('call');
      ringing = true;
      setCall(p.callId);
      setWrap(p.callId);
      showPop(p.callId);
      ring(p);
    },
    'call.pop': (p) => { if (mine(p) && p.callId === callID) showPop(p.callId); },
    // A transfer to this agent: the pop came as call.offered; a
    // completed transfer makes the call this agent's, a cancelled or
    // failed one takes the pop back.
    'call.handoff': (h) => {
      if (h.agent !== agentID || h.callId !== callID) return;
      if (h.stage === 'completed') {
        ringing = false;
        handed = h.callId;
        document.title = document.title.replace(/^☎ /, '');
        setCall(h.callId);
      } else if (h.stage === 'cancelled' || h.stage === 'failed') {
        ringing = false;
        document.title = document.title.replace(/^☎ /, '');
        const none = document.createElement('p');
        none.className = 'hint';
        none.textContent = S['agentui.call.none'];
        $('pop').replaceChildren(none);
        setWrap('');
        setCall('');
        say(S['transferpop.withdrawn'].replace('%s', h.callId));
      }
    },
    // The hub's current call of this agent: it starts with an answered
    // queue call, a completed transfer or a click-to-dial, and ends with
    // the call (the wrap-up stays open) or when the agent hands it on.
    'call.current': (c) => {
      if (!mine(c)) return;
      if (c.ended) {
        if (c.callId !== callID) return;
        ringing = false;
        handed = '';
        setCall('');
        say(S['consolegaps.call-ended'].replace('%s', c.callId));
        loadAgent();
        return;
      }
      if (c.kind !== 'queue') handed = c.callId;
      if (c.callId !== callID) {
        showPop(c.callId);
        setWrap(c.callId);
      }
      setCall(c.callId);
    },
    'call.answered': (c) => {
      if (!mine(c)) return;
      ringing = false;
      document.title = document.title.replace(/^☎ /, '');
      setCall(c.id);
    },
    'call.ended': (c) => {
      if (!mine(c) && c.id !== callID) return;
      document.title = document.title.replace(/^☎ /, '');
      if (c.id === consultCall) endConsult();
      if (c.id === callID) { ringing = false; handed = ''; setCall(''); }
      loadAgent();
    },
    'agent.state': (e) => {
      if (!mine(e)) return;
      if (e.callId) callID = customerCall(e.callId);
      if (e.to !== 'ringing') ringing = false;
      setState(e.to, e.meta && e.meta.at, e.reason);
      if (e.to !== 'ringing') document.title = document.title.replace(/^☎ /, '');
      loadAgent();
    },
    'message.received': (m) => {
      if (m.channel && m.channel !== 'sms') return;
      loadConversations();
      if (m.conversation && m.conversation === convOpen) openThread(convOpen);
      // Held by this agent, or unclaimed in a queue of theirs (the hub
      // sends those to the queue's agents).
      else if (m.agent === agentID || !m.agent) say(S['consoleui.msg.new'].replace('%s', m.from || ''));
    },
    'reset': () => { say(S['agentui.stream.reset']); loadAgent(); loadCallbacks(); loadFollowups(); loadConversations(); },
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
  // Transfer, consult or conference: the note goes with the call to the
  // target's pop. A consultation answers once the target has answered;
  // then the agent completes it or goes back to the caller.
  on('xfer-form', 'submit', async (ev) => {
    ev.preventDefault();
    unlockAlerts();
    const op = ev.submitter && ['consult', 'conference'].includes(ev.submitter.value) ? ev.submitter.value : 'transfer';
    const target = $('xfer-target').value.trim();
    const body = { target };
    const note = $('xfer-note').value.trim();
    if (note) body.note = note;
    const err = $('xfer-err');
    err.textContent = '';
    const id = callID;
    try {
      await send('POST', callPath(op), body);
    } catch (e) {
      err.textContent = e.message;
      say(S['agentui.failed'].replace('%s', e.message), true);
      return;
    }
    $('xfer-note').value = '';
    if (op === 'consult') {
      consultCall = id;
      $('consult-steps').hidden = false;
      say(S['transferpop.consulting'].replace('%s', target));
    } else {
      say(S['agentui.done']);
    }
  });
  function endConsult() {
    consultCall = '';
    $('consult-steps').hidden = true;
  }
  const consultPath = (step) => '/api/v1/calls/' + encodeURIComponent(consultCall) + '/consult/' + step;
  on('btn-consult-complete', 'click', async () => {
    if (consultCall && await act('POST', consultPath('complete'), undefined, S['transferpop.completed'])) endConsult();
  });
  on('btn-consult-cancel', 'click', async () => {
    if (consultCall && await act('POST', consultPath('cancel'))) endConsult();
  });
  // A wrap-up code may ask for a note or a follow-up (the installer's
  // wrap-up codes, offered in a datalist).
  function codeOption() {
    const v = $('wrap-code').value.trim();
    for (const o of document.querySelectorAll('#wrap-codes option')) if (o.value === v) return o;
    return null;
  }
  function showFollowupFields() { $('wrap-fu-fields').hidden = !$('wrap-fu').checked; }
  on('wrap-code', 'change', () => {
    const o = codeOption();
    if (o && o.dataset.fu) { $('wrap-fu').checked = true; showFollowupFields(); }
  });
  on('wrap-fu', 'change', showFollowupFields);
  on('wrap-form', 'submit', async (ev) => {
    ev.preventDefault();
    const err = $('wrap-err');
    err.textContent = '';
    const o = codeOption();
    const notes = $('wrap-notes').value;
    if (o && o.dataset.note && !notes.trim()) { err.textContent = S['consoleui.wrap.note-need']; return; }
    const fu = $('wrap-fu').checked;
    const due = $('wrap-fu-due').value, reason = $('wrap-fu-reason').value.trim();
    if (fu && (!due || !reason)) { err.textContent = S['consoleui.wrap.fu-need']; return; }
    // The pop of the call says who to call back.
    const card = document.querySelector('#pop .popcard');
    const number = card ? card.dataset.number || '' : '';
    try {
      await send('POST', '/api/v1/calls/' + encodeURIComponent(wrapCall) + '/wrapup',
        { code: $('wrap-code').value.trim(), notes });
      if (fu) {
        await send('POST', '/api/v1/followups', {
          number, due, reason, source: 'wrapup', callId: wrapCall, name: card ? card.dataset.name || '' : '',
        });
        say(S['consoleui.fu.created'].replace('%s', number));
        loadFollowups();
      } else {
        say(S['agentui.wrap.saved']);
      }
      for (const id of ['wrap-code', 'wrap-notes', 'wrap-fu-due', 'wrap-fu-reason']) $(id).value = '';
      $('wrap-fu').checked = false;
      showFollowupFields();
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

  // --- tabs: the call, the follow-ups, the messages

  const tabNames = ['call', 'fu', 'msg'];
  function showTab(name) {
    for (const t of tabNames) {
      const b = $('tab-' + t), p = $('panel-' + t);
      if (!b || !p) continue;
      const on = t === name;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
      p.hidden = !on;
    }
    if (name === 'fu') loadFollowups();
    if (name === 'msg') loadConversations();
  }
  const tabBar = document.querySelector('.tabs');
  if (tabBar) {
    tabBar.addEventListener('click', (ev) => {
      const b = ev.target.closest('[role="tab"]');
      if (b) showTab(b.id.slice(4));
    });
    tabBar.addEventListener('keydown', (ev) => {
      if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
      const at = tabNames.findIndex((t) => $('tab-' + t).getAttribute('aria-selected') === 'true');
      const next = tabNames[(at + (ev.key === 'ArrowRight' ? 1 : tabNames.length - 1)) % tabNames.length];
      showTab(next);
      $('tab-' + next).focus();
    });
  }

  // showError shows an API error answer in a panel's error line.
  function showError(box, e) { if (box) box.textContent = e.message; }

  // --- follow-ups (preview dialling: open the task, read the customer's
  // record and history, call, record the outcome)

  let fuOpen = '';

  async function loadFollowups() {
    const r = await fetch('/agent/followups', { credentials: 'same-origin' });
    if (!r.ok) return;
    $('fu-list').innerHTML = await r.text();
    const head = document.querySelector('#fu-list .fu-head');
    $('fu-count').textContent = head && head.dataset.count !== '0' ? head.dataset.count : '';
    for (const b of document.querySelectorAll('#fu-list [data-fu]')) b.classList.toggle('open', b.dataset.fu === fuOpen);
  }

  async function openFollowup(id) {
    const r = await fetch('/agent/followups/' + encodeURIComponent(id), { credentials: 'same-origin' });
    if (!r.ok) return;
    fuOpen = id;
    $('fu-detail').innerHTML = await r.text();
    dueField();
    for (const b of document.querySelectorAll('#fu-list [data-fu]')) b.classList.toggle('open', b.dataset.fu === fuOpen);
  }

  // The reschedule time is asked for only when the outcome is reschedule.
  function dueField() {
    const f = document.querySelector('#fu-detail form[data-fu-outcome]');
    if (!f) return;
    const re = f.elements.outcome.value === 'reschedule';
    f.querySelector('.fu-due').hidden = !re;
    f.elements.due.required = re;
  }

  const fuPath = (a) => '/api/v1/followups/' + encodeURIComponent(fuOpen) + '/' + a;

  on('fu-list', 'click', (ev) => {
    const next = ev.target.closest('[data-fu-next]');
    if (next) {
      const head = document.querySelector('#fu-list .fu-head');
      if (head && head.dataset.next) openFollowup(head.dataset.next);
      return;
    }
    const b = ev.target.closest('button[data-fu]');
    if (b) openFollowup(b.dataset.fu);
  });
  on('fu-detail', 'change', (ev) => { if (ev.target.name === 'outcome') dueField(); });
  on('fu-detail', 'click', async (ev) => {
    if (ev.target.closest('[data-fu-call]')) {
      unlockAlerts();
      const num = document.querySelector('#fu-detail .caller-num');
      try {
        await send('POST', fuPath('call'));
        say(S['consoleui.fu.dialing'].replace('%s', num ? num.textContent.trim() : ''));
      } catch (e) {
        say(S['agentui.failed'].replace('%s', e.message), true);
      }
      openFollowup(fuOpen);
      loadFollowups();
    } else if (ev.target.closest('[data-fu-cancel]')) {
      if (await act('POST', fuPath('cancel'), undefined, S['consoleui.fu.cancelled'])) {
        fuOpen = '';
        $('fu-detail').innerHTML = '';
        loadFollowups();
      }
    }
  });
  on('fu-detail', 'submit', async (ev) => {
    const f = ev.target.closest('form[data-fu-outcome]');
    if (!f) return;
    ev.preventDefault();
    const err = f.querySelector('.error');
    err.textContent = '';
    const outcome = f.elements.outcome.value;
    const body = { outcome, note: f.elements.note.value.trim() };
    if (outcome === 'reschedule') body.due = f.elements.due.value;
    try {
      await send('POST', fuPath('outcome'), body);
    } catch (e) {
      showError(err, e);
      return;
    }
    say(S['consoleui.fu.saved'].replace('%s', S['followup.outcome.' + outcome] || outcome));
    openFollowup(fuOpen);
    loadFollowups();
  });

  // --- follow-up import (supervisors): check the file, then import it
  // whole; the server refuses a file with any bad row.

  async function importFile(commit) {
    const f = $('fu-file').files[0];
    if (!f) return;
    const out = $('fu-import-result'), probs = $('fu-import-problems');
    out.textContent = '';
    probs.replaceChildren();
    $('fu-import').disabled = true;
    const r = await fetch('/api/v1/followups/import' + (commit ? '?commit=1' : ''), {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': csrf }, body: await f.text(),
    });
    let a = {};
    try { a = await r.json(); } catch (e) { /* not JSON */ }
    if (!a.preview) { out.textContent = S['agentui.failed'].replace('%s', a.error || String(r.status)); return; }
    for (const m of a.messages || []) {
      const li = document.createElement('li');
      li.textContent = m;
      probs.append(li);
    }
    if (!a.ok) { out.textContent = S['consoleui.imp.bad']; return; }
    if (commit) {
      out.textContent = S['consoleui.imp.done'].replace('%d', a.imported);
      $('fu-file').value = '';
      loadFollowups();
    } else {
      out.textContent = S['consoleui.imp.ready'].replace('%d', a.preview.rows.length);
      $('fu-import').disabled = false;
    }
  }
  on('fu-check', 'click', () => importFile(false));
  on('fu-import', 'click', () => importFile(true));
  on('fu-file', 'change', () => { $('fu-import').disabled = true; });

  // --- the retry rule of unanswered follow-ups (supervisors)

  async function loadPolicy() {
    if (!$('fu-policy-form')) return;
    const r = await fetch('/api/v1/followups/policy', { credentials: 'same-origin' });
    if (!r.ok) return;
    const p = await r.json();
    $('pol-max').value = p.maxAttempts;
    $('pol-minutes').value = (p.retryMinutes || []).join(', ');
  }
  on('fu-policy-form', 'submit', async (ev) => {
    ev.preventDefault();
    const err = $('fu-policy-err');
    err.textContent = '';
    const parts = $('pol-minutes').value.split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (!parts.length || parts.some((v) => !/^[0-9]+$/.test(v))) { err.textContent = S['consoleui.pol.bad']; return; }
    try {
      await send('PUT', '/api/v1/followups/policy', { maxAttempts: Number($('pol-max').value), retryMinutes: parts.map(Number) });
    } catch (e) {
      err.textContent = e.message;
      return;
    }
    say(S['consoleui.pol.saved']);
  });
  loadPolicy();

  // --- SMS conversations

  let convOpen = '';

  async function loadConversations() {
    const r = await fetch('/agent/messages', { credentials: 'same-origin' });
    if (!r.ok) return;
    $('msg-list').innerHTML = await r.text();
    const waiting = document.querySelectorAll('#msg-list .conv.waiting').length;
    $('msg-count').textContent = waiting ? String(waiting) : '';
    for (const b of document.querySelectorAll('#msg-list [data-conv]')) b.classList.toggle('open', b.dataset.conv === convOpen);
  }

  async function openThread(key) {
    const r = await fetch('/agent/messages/' + encodeURIComponent(key), { credentials: 'same-origin' });
    if (!r.ok) return;
    // A reply being typed survives the thread's refresh.
    const box = $('reply-text');
    const draft = box && key === convOpen ? box.value : '';
    convOpen = key;
    $('msg-thread').innerHTML = await r.text();
    if (draft && $('reply-text')) $('reply-text').value = draft;
    const list = document.querySelector('#msg-thread .bubbles');
    if (list) list.scrollTop = list.scrollHeight;
    for (const b of document.querySelectorAll('#msg-list [data-conv]')) b.classList.toggle('open', b.dataset.conv === convOpen);
  }

  const convPath = (a) => '/api/v1/conversations/' + encodeURIComponent(convOpen) + '/' + a;

  on('msg-list', 'click', (ev) => {
    const b = ev.target.closest('button[data-conv]');
    if (b) openThread(b.dataset.conv);
  });
  on('msg-thread', 'click', async (ev) => {
    const err = document.querySelector('#msg-thread .thread > .error');
    if (err) err.textContent = '';
    try {
      if (ev.target.closest('[data-conv-claim]')) {
        await send('POST', convPath('claim'));
        say(S['consoleui.msg.claimed']);
        openThread(convOpen);
      } else if (ev.target.closest('[data-conv-close]')) {
        await send('POST', convPath('close'));
        say(S['consoleui.msg.closed']);
        convOpen = '';
        $('msg-thread').innerHTML = '';
      } else {
        return;
      }
    } catch (e) {
      showError(err, e);
      return;
    }
    loadConversations();
  });
  on('msg-thread', 'submit', async (ev) => {
    const f = ev.target.closest('form[data-conv-reply]');
    if (!f) return;
    ev.preventDefault();
    const err = document.querySelector('#msg-thread .thread > .error');
    err.textContent = '';
    const text = f.elements.text.value;
    if (!text.trim()) return;
    try {
      await send('POST', convPath('reply'), { text });
    } catch (e) {
      showError(err, e);
      return;
    }
    f.elements.text.value = '';
    say(S['consoleui.msg.sent']);
    openThread(convOpen);
    loadConversations();
  });

  setState('unknown');
  setCall('');
  setWrap('');
  loadAgent();
  loadCallbacks();
  loadFollowups();
  loadConversations();
  connect();
  setInterval(tick, 1000);
  setInterval(loadCallbacks, 30000);
  // Tasks come due without an event, and the replies' sent and delivered
  // states change without one: the lists are re-read now and then.
  setInterval(loadFollowups, 30000);
  setInterval(() => {
    loadConversations();
    // Sent and delivered states of the replies show without an event.
    if (convOpen && !$('panel-msg').hidden) openThread(convOpen);
  }, 20000);
  setInterval(loadAgent, 30000);
})();
