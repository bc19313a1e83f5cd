// Tideway dashboard: polls /api/stats every second for live rates and the snapshot version, and
// fetches /api/routes and /api/diagnostics again only when the version changes, so a new routing table
// shows up without a page reload. Everything from the API is inserted as text, never as HTML: hosts,
// paths and messages come from users' Ingress objects.
'use strict';

const POLL_MS = 1000;
const state = { version: null, knownRoutes: new Set(), rateCells: new Map() };

function $(id) {
  return document.getElementById(id);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}

function rate(value) {
  return value.toFixed(1);
}

/** "shop/web" for an Ingress; "HTTPRoute shop/web rule 1 (header x-env = ...)" for Gateway API routes. */
function routeSource(route) {
  const gateway = route.gateway;
  if (gateway === undefined) return el('td', '', route.ingress);
  const rule = gateway.ruleName ?? gateway.rule;
  const cell = el('td', '', `${gateway.object} rule ${rule}`);
  if (gateway.predicates.length > 0) cell.append(el('div', 'predicates', gateway.predicates.join(', ')));
  return cell;
}

function routeRow(route, isDefault) {
  const row = el('tr', state.version !== null && !state.knownRoutes.has(route.id) ? 'new' : '');
  row.dataset.route = route.id;
  row.append(
    el('td', 'host', isDefault ? '(default backend)' : route.host || '*'),
    el('td', 'path', route.path || '–'),
    el('td', '', route.pathType),
    routeSource(route),
  );
  const service = el('td');
  const endpoints = el('td', 'endpoints');
  if (route.backend === null) {
    service.append(el('span', 'bad', 'unresolved (503)'));
  } else {
    service.textContent = route.backend.service;
    if (route.backend.endpoints.length === 0) endpoints.append(el('span', 'bad', 'none (503)'));
    for (const endpoint of route.backend.endpoints) endpoints.append(el('span', 'chip', endpoint));
  }
  const middlewares = el('td', '', route.middlewares.map((m) => m.type).join(', ') || '–');
  const rps = el('td', 'num', '0.0');
  const eps = el('td', 'num', '0.0');
  state.rateCells.set(route.id, { rps, eps });
  row.append(service, endpoints, middlewares, rps, eps);
  return row;
}

function renderRoutes(view) {
  const body = $('routes').querySelector('tbody');
  state.rateCells.clear();
  const rows = [];
  for (const group of view.hosts) for (const route of group.routes) rows.push(routeRow(route, false));
  if (view.defaultRoute) rows.push(routeRow(view.defaultRoute, true));
  body.replaceChildren(...rows);
  $('routes-empty').hidden = rows.length > 0;
  state.knownRoutes = new Set(rows.map((row) => row.dataset.route));
}

function renderBackends(view) {
  const rows = view.backends.map((backend) => {
    const endpoints = el('td', 'endpoints');
    if (backend.endpoints.length === 0) endpoints.append(el('span', 'bad', 'no endpoints'));
    for (const endpoint of backend.endpoints) {
      const chip = el('span', endpoint.ready ? 'chip' : 'chip terminating', endpoint.address);
      chip.title = `${endpoint.ready ? 'ready' : 'terminating'}${endpoint.pod ? ` · pod ${endpoint.pod}` : ''}`;
      endpoints.append(chip);
    }
    const row = el('tr');
    row.append(el('td', '', backend.service), el('td', '', backend.port), el('td', '', backend.protocol), endpoints);
    return row;
  });
  $('backends').querySelector('tbody').replaceChildren(...rows);
}

function renderDiagnostics(report) {
  const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  $('diagnostics-count').textContent = `${count(report.errors, 'error')}, ${count(report.warnings, 'warning')}`;
  const items = report.diagnostics.map((d) => {
    const item = el('li', d.severity);
    item.append(el('span', 'severity', d.severity), el('span', 'object', `${d.kind} ${d.object}${d.field ? ` ${d.field}` : ''}`), el('span', 'message', d.message), el('span', 'reason', d.reason));
    return item;
  });
  if (items.length === 0) items.push(el('li', 'none', 'No diagnostics: every object is valid.'));
  $('diagnostics').replaceChildren(...items);
}

function renderRates(stats) {
  $('total-rps').textContent = rate(stats.total.requestsPerSecond);
  $('total-eps').textContent = rate(stats.total.errorsPerSecond);
  $('unrouted-rps').textContent = rate(stats.unrouted.requestsPerSecond);
  const byId = new Map(stats.routes.map((r) => [r.id, r]));
  for (const [id, cells] of state.rateCells) {
    const rates = byId.get(id);
    cells.rps.textContent = rate(rates ? rates.requestsPerSecond : 0);
    cells.eps.textContent = rate(rates ? rates.errorsPerSecond : 0);
    cells.eps.classList.toggle('bad', rates !== undefined && rates.errorsPerSecond > 0);
  }
}

function setStatus(text, ok) {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('offline', !ok);
}

async function tick() {
  try {
    const stats = await getJson('/api/stats');
    if (stats.version !== state.version) {
      const [routes, diagnostics] = await Promise.all([getJson('/api/routes'), getJson('/api/diagnostics')]);
      renderRoutes(routes);
      renderBackends(routes);
      renderDiagnostics(diagnostics);
      state.version = routes.version;
      $('version').textContent = String(routes.version);
    }
    renderRates(stats);
    setStatus(`live · ${new Date().toLocaleTimeString()}`, true);
  } catch (error) {
    setStatus(`offline: ${error.message}`, false);
  } finally {
    setTimeout(tick, POLL_MS);
  }
}

tick();
