// The visual IVR designer: an SVG canvas over the flow API. Everything the
// designer does goes through /api/v1/flows (the server validates, keeps
// drafts and versions, and runs dry runs); this script only draws the
// document and edits it in memory until "save". User text is only ever
// put into the page with textContent, never as markup.
(() => {
  'use strict';
  const root = document.getElementById('designer');
  if (!root) return;
  const flowID = root.dataset.flow;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : '';
  const SVG = 'http://www.w3.org/2000/svg';
  const NODE_H = 58, PORT_W = 40, MIN_W = 150;
  const $ = (id) => document.getElementById(id);
  const canvas = $('dz-canvas'), nodesG = $('dz-nodes'), edgesG = $('dz-edges'), rubber = $('dz-rubber');

  let schema = null;          // /designer/schema.json
  const types = {};           // type name -> type with fields
  let doc = null;             // the flow document being edited
  let selected = null;        // id of the selected node
  let problems = [];          // from the last validation or publish
  let path = [];              // node ids of the last dry run
  let dirty = false;

  const T = (k) => (schema && schema.text[k]) || k;

  function el(tag, attrs, text) {
    const e = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    if (text !== undefined) e.textContent = text;
    return e;
  }

  async function api(method, url, body) {
    const opt = { method, credentials: 'same-origin', headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf } };
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    const r = await fetch(url, opt);
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { ok: r.ok, status: r.status, data };
  }

  function say(msg, kind) {
    const s = $('dz-state');
    s.textContent = msg;
    s.className = 'dz-state' + (kind ? ' ' + kind : '');
  }

  function errorText(res) {
    if (res.data && res.data.error) return res.data.error;
    if (res.data && res.data.errors) return Object.values(res.data.errors).join('; ');
    return T('error') + ' ' + res.status;
  }

  function markDirty() {
    dirty = true;
    say(T('unsaved'));
  }

  // --- the document ---

  function node(id) { return doc.nodes.find((n) => n.id === id); }

  function settings(n) {
    if (!n.settings || typeof n.settings !== 'object' || Array.isArray(n.settings)) n.settings = {};
    return n.settings;
  }

  function ui() {
    if (!doc.ui || typeof doc.ui !== 'object') doc.ui = {};
    if (!doc.ui.keys || typeof doc.ui.keys !== 'object') doc.ui.keys = {};
    return doc.ui;
  }

  // ports lists a node's exits: the type's own, the menu keys chosen in
  // the side panel, the branch rules' exits, and any exit already wired.
  function ports(n) {
    const t = types[n.type];
    const out = [];
    const add = (name) => { if (name && !out.includes(name)) out.push(name); };
    if (t) {
      (t.exits || []).forEach((e) => add(e.name));
      if (t.digitExits) (ui().keys[n.id] || '').split('').forEach(add);
      if (t.ruleExits && n.settings && Array.isArray(n.settings.rules)) n.settings.rules.forEach((r) => add(r && r.exit));
    }
    Object.keys(n.exits || {}).sort().forEach(add);
    return out;
  }

  // clip cuts s to about px pixels of 12px text (CJK characters are about
  // twice as wide as Latin ones).
  function clip(s, px) {
    let w = 0, out = '';
    for (const ch of s) {
      w += ch.codePointAt(0) >= 0x2e80 ? 12 : 6.5;
      if (w > px) return out + '…';
      out += ch;
    }
    return out;
  }

  function exitLabel(name) { return (schema.exits && schema.exits[name]) || name; }

  function width(n) { return Math.max(MIN_W, ports(n).length * PORT_W + 10); }

  function freeID(type) {
    const base = type.replace(/[^A-Za-z0-9_-]/g, '');
    for (let i = 1; ; i++) {
      if (!node(base + i)) return base + i;
    }
  }

  function addNode(type, x, y) {
    const n = { id: freeID(type), type, position: { x: Math.max(0, Math.round(x)), y: Math.max(0, Math.round(y)) } };
    doc.nodes.push(n);
    selected = n.id;
    markDirty();
    draw();
    panel();
    return n;
  }

  function removeNode(id) {
    doc.nodes = doc.nodes.filter((n) => n.id !== id);
    for (const n of doc.nodes) {
      for (const [k, v] of Object.entries(n.exits || {})) if (v === id) delete n.exits[k];
    }
    delete ui().keys[id];
    selected = null;
    markDirty();
    draw();
    panel();
  }

  function connect(from, exit, to) {
    const n = node(from);
    if (!n) return;
    n.exits = n.exits || {};
    if (to) n.exits[exit] = to; else delete n.exits[exit];
    markDirty();
    draw();
    if (selected === from) panel();
  }

  // --- drawing ---

  function portPos(n, i) { return { x: n.position.x + 5 + PORT_W * i + PORT_W / 2, y: n.position.y + NODE_H }; }

  function draw() {
    nodesG.replaceChildren();
    edgesG.replaceChildren();
    const bad = {}, badPort = {};
    for (const p of problems) {
      if (!p.node) continue;
      (bad[p.node] = bad[p.node] || []).push(p.message);
      if (p.field && p.field.startsWith('exits.')) badPort[p.node + ' ' + p.field.slice(6)] = true;
    }
    const step = {};
    path.forEach((id, i) => { (step[id] = step[id] || []).push(i + 1); });
    let maxX = 600, maxY = 400;
    for (const n of doc.nodes) {
      const w = width(n), ps = ports(n);
      const t = types[n.type];
      maxX = Math.max(maxX, n.position.x + w + 60);
      maxY = Math.max(maxY, n.position.y + NODE_H + 120);
      const cls = ['dz-node'];
      if (n.id === selected) cls.push('selected');
      if (bad[n.id]) cls.push('has-problem');
      if (step[n.id]) cls.push('on-path');
      const g = el('svg:g', { class: cls.join(' '), 'data-id': n.id, transform: `translate(${n.position.x},${n.position.y})`, tabindex: '0' });
      g.appendChild(el('svg:rect', { class: 'dz-box', width: w, height: NODE_H, rx: 6 }));
      g.appendChild(el('svg:text', { class: 'dz-type', x: 8, y: 16 }, t ? t.label : n.type));
      const name = n.label ? `${n.label} (${n.id})` : n.id;
      g.appendChild(el('svg:text', { class: 'dz-id', x: 8, y: 31 }, clip(name, w - 22)));
      if (step[n.id]) g.appendChild(el('svg:text', { class: 'dz-step', x: w - 6, y: 16, 'text-anchor': 'end' }, '#' + step[n.id].join(',')));
      g.appendChild(el('svg:title', {}, [name].concat(bad[n.id] || []).join('\n')));
      g.appendChild(el('svg:circle', { class: 'dz-in', cx: w / 2, cy: 0, r: 4 }));
      ps.forEach((name, i) => {
        const x = 5 + PORT_W * i + PORT_W / 2;
        const wired = n.exits && n.exits[name];
        g.appendChild(el('svg:text', { class: 'dz-port-label', x, y: NODE_H - 10, 'text-anchor': 'middle' }, exitLabel(name)));
        const pc = 'dz-port' + (wired ? ' wired' : '') + (badPort[n.id + ' ' + name] ? ' bad' : '');
        g.appendChild(el('svg:circle', { class: pc, cx: x, cy: NODE_H, r: 6, 'data-exit': name, 'data-node': n.id }));
      });
      nodesG.appendChild(g);
    }
    for (const n of doc.nodes) {
      ports(n).forEach((name, i) => {
        const to = n.exits && node(n.exits[name]);
        if (!to) return;
        const a = portPos(n, i);
        const b = { x: to.position.x + width(to) / 2, y: to.position.y };
        const hop = path.some((id, k) => id === n.id && path[k + 1] === to.id);
        const d = `M${a.x},${a.y} C${a.x},${a.y + 50} ${b.x},${b.y - 50} ${b.x},${b.y}`;
        edgesG.appendChild(el('svg:path', { class: 'dz-edge' + (hop ? ' on-path' : ''), d, 'marker-end': 'url(#dz-arrow)', 'data-from': n.id, 'data-exit': name }));
      });
    }
    canvas.setAttribute('width', maxX);
    canvas.setAttribute('height', maxY);
    drawProblems();
  }

  function drawProblems() {
    const ul = $('dz-problems');
    ul.replaceChildren();
    for (const p of problems) {
      const li = el('li', { class: 'problem' }, p.message);
      if (p.node) {
        li.dataset.node = p.node;
        li.addEventListener('click', () => { selected = p.node; draw(); panel(); });
      }
      ul.appendChild(li);
    }
  }

  // --- pointer work: move nodes, draw arrows, drop palette items ---

  function svgPoint(ev) {
    const pt = canvas.createSVGPoint();
    pt.x = ev.clientX;
    pt.y = ev.clientY;
    return pt.matrixTransform(canvas.getScreenCTM().inverse());
  }

  let drag = null;

  canvas.addEventListener('pointerdown', (ev) => {
    const port = ev.target.closest('.dz-port');
    if (port) {
      drag = { kind: 'wire', from: port.dataset.node, exit: port.dataset.exit, x: +port.getAttribute('cx'), start: svgPoint(ev) };
      ev.preventDefault();
      return;
    }
    const g = ev.target.closest('.dz-node');
    if (g) {
      const n = node(g.dataset.id);
      const p = svgPoint(ev);
      drag = { kind: 'move', id: n.id, dx: p.x - n.position.x, dy: p.y - n.position.y, moved: false };
      if (selected !== n.id) {
        selected = n.id;
        draw();
        panel();
      }
      ev.preventDefault();
    }
  });

  window.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    if (drag.kind === 'move') {
      const n = node(drag.id);
      const p = svgPoint(ev);
      n.position.x = Math.max(0, Math.round(p.x - drag.dx));
      n.position.y = Math.max(0, Math.round(p.y - drag.dy));
      drag.moved = true;
      draw();
    } else if (drag.kind === 'wire') {
      const p = svgPoint(ev);
      const s = drag.start;
      rubber.setAttribute('d', `M${s.x},${s.y} L${p.x},${p.y}`);
    } else if (drag.kind === 'palette') {
      drag.ghost.style.left = ev.clientX + 8 + 'px';
      drag.ghost.style.top = ev.clientY + 8 + 'px';
      drag.moved = true;
    }
  });

  window.addEventListener('pointerup', (ev) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (d.kind === 'move') {
      if (d.moved) markDirty();
      return;
    }
    if (d.kind === 'wire') {
      rubber.setAttribute('d', '');
      const hit = document.elementFromPoint(ev.clientX, ev.clientY);
      const g = hit && hit.closest && hit.closest('.dz-node');
      const target = g ? g.dataset.id : '';
      if (target && target === d.from && hit.closest('.dz-port')) return; // a click on the port itself
      connect(d.from, d.exit, target);
      return;
    }
    if (d.kind === 'palette') {
      d.ghost.remove();
      const r = canvas.getBoundingClientRect();
      const inside = ev.clientX >= r.left && ev.clientX <= r.right && ev.clientY >= r.top && ev.clientY <= r.bottom;
      if (inside && d.moved) {
        const p = svgPoint(ev);
        addNode(d.type, p.x - MIN_W / 2, p.y - NODE_H / 2);
      } else if (!d.moved) {
        addAtFreeSpot(d.type);
      }
    }
  });

  function addAtFreeSpot(type) {
    const y = doc.nodes.reduce((m, n) => Math.max(m, n.position.y + NODE_H + 50), 40);
    addNode(type, 40, y);
  }

  canvas.addEventListener('keydown', (ev) => {
    const g = ev.target.closest && ev.target.closest('.dz-node');
    if (!g) return;
    if (ev.key === 'Enter' || ev.key === ' ') {
      selected = g.dataset.id;
      draw();
      panel();
      ev.preventDefault();
    } else if (ev.key === 'Delete') {
      removeNode(g.dataset.id);
    }
  });

  function buildPalette() {
    const ul = $('dz-palette');
    ul.replaceChildren();
    for (const t of schema.types) {
      if (t.name === 'start' || t.hidden) continue;
      const li = el('li', { 'data-type': t.name, tabindex: '0', title: t.help, role: 'button' }, t.label);
      li.addEventListener('pointerdown', (ev) => {
        const ghost = el('div', { class: 'dz-ghost' }, t.label);
        ghost.style.left = ev.clientX + 8 + 'px';
        ghost.style.top = ev.clientY + 8 + 'px';
        document.body.appendChild(ghost);
        drag = { kind: 'palette', type: t.name, ghost, moved: false };
        ev.preventDefault();
      });
      li.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          addAtFreeSpot(t.name);
          ev.preventDefault();
        }
      });
      ul.appendChild(li);
    }
  }

  // --- the side panel, generated from the type's fields ---

  function promptsText(list) {
    if (!Array.isArray(list)) return '';
    return list.map((it) => (it && Object.keys(it).length === 1 && it.key) ? it.key : JSON.stringify(it)).join('\n');
  }

  function parsePrompts(text) {
    const out = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      out.push(line.startsWith('{') ? JSON.parse(line) : { key: line });
    }
    return out;
  }

  function fieldInput(n, f) {
    const s = settings(n);
    const v = s[f.name];
    const id = 'dz-f-' + f.name;
    const wrap = el('div', { class: 'field' });
    const lab = el('label', { for: id }, f.label);
    let input;
    const set = (val) => {
      if (val === undefined || val === '' || val === false || (Array.isArray(val) && val.length === 0)) delete s[f.name];
      else s[f.name] = val;
      markDirty();
      draw();
    };
    const invalid = (bad) => {
      wrap.classList.toggle('invalid', bad);
      let e = wrap.querySelector('.error');
      if (bad && !e) wrap.appendChild(e = el('p', { class: 'error' }, T('json-bad')));
      if (!bad && e) e.remove();
    };
    switch (f.kind) {
      case 'bool':
        input = el('input', { id, type: 'checkbox' });
        input.checked = !!v;
        input.addEventListener('change', () => set(input.checked));
        wrap.classList.add('check');
        wrap.append(input, lab);
        return wrap;
      case 'number':
        input = el('input', { id, type: 'number', step: '1' });
        input.value = v === undefined ? '' : v;
        input.addEventListener('change', () => set(input.value === '' ? undefined : parseInt(input.value, 10)));
        break;
      case 'select':
        input = el('select', { id });
        for (const o of f.options) {
          const opt = el('option', { value: o }, o === '' ? T('none') : o);
          if ((v || '') === o) opt.selected = true;
          input.appendChild(opt);
        }
        input.addEventListener('change', () => set(input.value));
        break;
      case 'prompts':
        input = el('textarea', { id, rows: '3', placeholder: (schema.names.prompts || []).filter((k) => !/^(digit|num|key)-/.test(k)).slice(0, 2).join('\n') });
        input.value = promptsText(v);
        input.addEventListener('change', () => {
          try { set(parsePrompts(input.value)); invalid(false); } catch (e) { invalid(true); }
        });
        wrap.append(lab, input, el('p', { class: 'hint' }, T('lines-hint')));
        return wrap;
      case 'json':
        input = el('textarea', { id, rows: '3', placeholder: f.example || '' });
        input.value = v === undefined ? '' : JSON.stringify(v);
        input.addEventListener('change', () => {
          if (input.value.trim() === '') { set(undefined); invalid(false); return; }
          try { set(JSON.parse(input.value)); invalid(false); } catch (e) { invalid(true); }
        });
        break;
      default: // text, name
        input = el('input', { id, type: 'text' });
        input.value = v === undefined ? '' : v;
        if (f.kind === 'name') {
          const listID = 'dz-names-' + f.from;
          input.setAttribute('list', listID);
          if (!$(listID)) {
            const dl = el('datalist', { id: listID });
            for (const name of schema.names[f.from] || []) dl.appendChild(el('option', { value: name }));
            document.body.appendChild(dl);
          }
        }
        input.addEventListener('change', () => set(input.value.trim()));
    }
    wrap.append(lab, input);
    return wrap;
  }

  function panel() {
    const box = $('dz-settings');
    box.replaceChildren(el('h2', {}, T('settings')));
    const n = selected && node(selected);
    if (!n) {
      box.appendChild(el('p', { class: 'hint' }, T('no-node')));
      return;
    }
    const t = types[n.type];
    box.appendChild(el('p', { class: 'dz-kind' }, (t ? t.label : n.type) + ' · ' + n.id));
    if (t && t.help) box.appendChild(el('p', { class: 'hint' }, t.help));
    const lab = el('div', { class: 'field' });
    const li = el('input', { id: 'dz-f-label', type: 'text', maxlength: '128' });
    li.value = n.label || '';
    li.addEventListener('change', () => { n.label = li.value.trim() || undefined; markDirty(); draw(); });
    lab.append(el('label', { for: 'dz-f-label' }, T('label')), li);
    box.appendChild(lab);
    if (t && t.digitExits) {
      const kf = el('div', { class: 'field' });
      const ki = el('input', { id: 'dz-f-keys', type: 'text', maxlength: '12', placeholder: '123' });
      ki.value = ui().keys[n.id] || '';
      ki.addEventListener('change', () => {
        const keys = [...new Set(ki.value.replace(/[^0-9*#]/g, '').split(''))].join('');
        ki.value = keys;
        ui().keys[n.id] = keys;
        for (const k of Object.keys(n.exits || {})) {
          if (/^[0-9*#]$/.test(k) && !keys.includes(k)) delete n.exits[k];
        }
        markDirty();
        draw();
      });
      kf.append(el('label', { for: 'dz-f-keys' }, T('keys')), ki);
      box.appendChild(kf);
    }
    for (const f of (t ? t.fields : [])) box.appendChild(fieldInput(n, f));
    const ps = ports(n);
    if (ps.length) {
      const tbl = el('div', { class: 'dz-exits' });
      for (const name of ps) {
        const row = el('label', { class: 'dz-exit' });
        const sel = el('select', { 'data-exit': name });
        sel.appendChild(el('option', { value: '' }, T('exit-open')));
        for (const o of doc.nodes) {
          if (o.id === n.id && types[o.type] && !types[o.type].waits) continue;
          const opt = el('option', { value: o.id }, o.label ? `${o.label} (${o.id})` : o.id);
          if (n.exits && n.exits[name] === o.id) opt.selected = true;
          sel.appendChild(opt);
        }
        sel.addEventListener('change', () => connect(n.id, name, sel.value));
        row.append(el('span', {}, exitLabel(name) + ' →'), sel);
        tbl.appendChild(row);
      }
      box.appendChild(tbl);
    }
    const del = el('button', { type: 'button', class: 'danger' }, T('delete-node'));
    del.addEventListener('click', () => removeNode(n.id));
    box.appendChild(del);
    for (const p of problems.filter((p) => p.node === n.id)) box.appendChild(el('p', { class: 'error' }, p.message));
  }

  // --- server actions ---

  function readHeader() {
    doc.name = $('dz-flow-name').value.trim();
    const langs = $('dz-flow-langs').value.split(/[\s,]+/).filter(Boolean);
    doc.languages = langs;
  }

  async function save() {
    readHeader();
    const res = await api('PUT', `/api/v1/flows/${flowID}`, doc);
    if (!res.ok) {
      say(errorText(res), 'bad');
      return false;
    }
    dirty = false;
    say(T('saved'), 'ok');
    return true;
  }

  async function saved() { return !dirty || save(); }

  function showProblems(list) {
    problems = list || [];
    draw();
    panel();
  }

  async function validate() {
    if (!(await saved())) return;
    const res = await api('POST', `/api/v1/flows/${flowID}/validate`);
    if (!res.ok) { say(errorText(res), 'bad'); return; }
    showProblems(res.data.problems);
    say(problems.length ? T('problems') + ': ' + problems.length : T('valid'), problems.length ? 'bad' : 'ok');
  }

  async function publish() {
    if (!(await saved())) return;
    const res = await api('POST', `/api/v1/flows/${flowID}/publish`);
    if (res.status === 422) {
      showProblems(res.data.problems);
      say(res.data.error + ': ' + problems.length, 'bad');
      return;
    }
    if (!res.ok) { say(errorText(res), 'bad'); return; }
    showProblems([]);
    say(T('published') + ' v' + res.data.version, 'ok');
    versions();
  }

  async function dryRun(ev) {
    ev.preventDefault();
    if (!(await saved())) return;
    const f = ev.target;
    const body = { ani: f.ani.value.trim(), dnis: f.dnis.value.trim(), digits: [] };
    if (f.at.value) body.at = new Date(f.at.value).toISOString();
    if (f.digits.value.trim() !== '') body.digits = f.digits.value.split(',').map((s) => s.trim());
    const res = await api('POST', `/api/v1/flows/${flowID}/dryrun`, body);
    const out = $('dz-dry-out');
    out.replaceChildren();
    if (!res.ok) {
      if (res.data && res.data.problems) showProblems(res.data.problems);
      out.appendChild(el('p', { class: 'error' }, errorText(res)));
      return;
    }
    const r = res.data;
    path = (r.steps || []).map((s) => s.node);
    draw();
    const ol = el('ol', { class: 'dz-path' });
    for (const s of r.steps || []) {
      let line = s.node + ' (' + ((types[s.type] && types[s.type].label) || s.type) + ')';
      if (s.digits) line += ' ⌨ ' + s.digits;
      if (s.exit) line += ' → ' + s.exit;
      if (s.detail) line += ' · ' + s.detail;
      ol.appendChild(el('li', {}, line));
    }
    out.append(el('h3', {}, T('path')), ol);
    if (r.actions && r.actions.length) out.appendChild(el('p', {}, T('actions') + ': ' + r.actions.join(', ')));
    out.appendChild(el('p', { class: 'dz-end' }, T('end') + ': ' + r.end));
    if (r.error) out.appendChild(el('p', { class: 'error' }, r.error));
    out.lastChild.scrollIntoView({ block: 'nearest' });
  }

  async function versions() {
    const ul = $('dz-version-list');
    const res = await api('GET', `/api/v1/flows/${flowID}/versions`);
    ul.replaceChildren();
    if (!res.ok) return;
    for (const v of (res.data || []).slice().reverse()) {
      const li = el('li', {}, `v${v.version} ${v.name || ''}${v.live ? ' · ' + T('live') : ''} `);
      const b = el('button', { type: 'button', 'data-version': v.version }, T('restore'));
      b.addEventListener('click', async () => {
        const r = await api('POST', `/api/v1/flows/${flowID}/versions/${v.version}/restore`);
        if (!r.ok) { say(errorText(r), 'bad'); return; }
        setDoc(r.data.doc);
        say(T('restored') + ' v' + v.version, 'ok');
      });
      li.appendChild(b);
      ul.appendChild(li);
    }
  }

  function setDoc(d) {
    doc = d;
    doc.nodes = doc.nodes || [];
    doc.languages = doc.languages || [];
    $('dz-flow-name').value = doc.name || '';
    $('dz-flow-langs').value = doc.languages.join(' ');
    dirty = false;
    problems = [];
    path = [];
    selected = null;
    draw();
    panel();
  }

  async function load() {
    say(T('loading'));
    const sres = await api('GET', '/designer/schema.json');
    if (!sres.ok) { say(errorText(sres), 'bad'); return; }
    schema = sres.data;
    for (const t of schema.types) types[t.name] = t;
    buildPalette();
    const res = await api('GET', `/api/v1/flows/${flowID}`);
    if (res.status === 404) {
      setDoc({ format: 1, name: flowID, languages: ['zh', 'en'], nodes: [{ id: 'start', type: 'start', position: { x: 60, y: 40 } }] });
      markDirty();
      say(T('new-flow'));
    } else if (!res.ok) {
      say(T('load-failed') + ': ' + errorText(res), 'bad');
      return;
    } else {
      setDoc(res.data.doc);
      say(res.data.editing ? T('draft') : T('version') + ' ' + res.data.version);
    }
    versions();
    root.dataset.ready = '1';
  }

  $('dz-save').addEventListener('click', save);
  $('dz-validate').addEventListener('click', validate);
  $('dz-publish').addEventListener('click', publish);
  $('dz-dry-form').addEventListener('submit', dryRun);
  $('dz-flow-name').addEventListener('change', markDirty);
  $('dz-flow-langs').addEventListener('change', markDirty);
  window.addEventListener('beforeunload', (ev) => { if (dirty) ev.preventDefault(); });
  load();
})();
