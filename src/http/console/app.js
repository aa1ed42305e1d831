// The sluice console: plain DOM code over the server's own API (no build step).

const $ = (id) => document.getElementById(id);
const tokenInput = $('token');
tokenInput.value = sessionStorage.getItem('sluice-token') || '';
tokenInput.addEventListener('change', () => sessionStorage.setItem('sluice-token', tokenInput.value));

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (tokenInput.value) h.authorization = 'Bearer ' + tokenInput.value;
  return h;
}
async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(
      body === undefined
        ? { accept: 'application/json' }
        : { accept: 'application/json', 'content-type': 'application/json' },
    ),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { error: { message: text } };
  }
  if (!response.ok) throw new Error(parsed.error?.message || response.statusText);
  return { response, body: parsed, bytes: text.length };
}
function renderTable(table, columns, rows) {
  table.textContent = '';
  const head = table.createTHead().insertRow();
  for (const c of columns) {
    const th = document.createElement('th');
    th.textContent = c;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const c of columns) {
      const td = tr.insertCell();
      const v = typeof row[c] === 'function' ? row[c]() : row[c];
      if (v === null || v === undefined) {
        td.textContent = 'NULL';
        td.className = 'null';
      } else if (v instanceof Node) td.appendChild(v);
      else td.textContent = typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
  }
}
function setStatus(el, text, isError) {
  el.textContent = text;
  el.className = 'status' + (isError ? ' error' : '');
}

// ---- pages
const pages = ['query', 'pipelines', 'stack'];
function show(page) {
  if (!pages.includes(page)) page = 'query';
  for (const p of pages) $('page-' + p).hidden = p !== page;
  for (const a of document.querySelectorAll('nav a[data-page]'))
    a.classList.toggle('active', a.dataset.page === page);
  if (page === 'pipelines') loadPipelines();
  if (page === 'stack') loadStack();
}
window.addEventListener('hashchange', () => show(location.hash.slice(1)));

// ---- query page
let result = { columns: [], rows: [] };
let page = 0;
let runningId = null;
async function loadSources() {
  try {
    const { body } = await api('GET', '/v1/sources');
    const select = $('source');
    select.textContent = '';
    for (const s of body) {
      const o = document.createElement('option');
      o.value = s.name;
      o.textContent = s.name + (s.ok ? '' : ' (down)');
      select.appendChild(o);
    }
  } catch (e) {
    setStatus($('query-status'), 'sources: ' + e.message, true);
  }
}
function showPage() {
  const size = Math.max(1, Number($('page-size').value) || 50);
  const pagesTotal = Math.max(1, Math.ceil(result.rows.length / size));
  page = Math.min(Math.max(0, page), pagesTotal - 1);
  renderTable($('result'), result.columns, result.rows.slice(page * size, (page + 1) * size));
  $('page-info').textContent = 'page ' + (page + 1) + ' of ' + pagesTotal;
  $('prev').disabled = page === 0;
  $('next').disabled = page >= pagesTotal - 1;
}
$('prev').onclick = () => {
  page--;
  showPage();
};
$('next').onclick = () => {
  page++;
  showPage();
};
$('page-size').onchange = () => {
  page = 0;
  showPage();
};
$('run').onclick = async () => {
  runningId = 'console-' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  $('cancel').disabled = false;
  $('explain-out').hidden = true;
  setStatus($('query-status'), 'running ' + runningId + ' …');
  const started = performance.now();
  try {
    const { body, bytes } = await api('POST', '/v1/query', {
      sql: $('sql').value,
      source: $('source').value || undefined,
      format: 'json',
      query_id: runningId,
      limits: { maxRows: 10000 },
    });
    const ms = performance.now() - started;
    result = { columns: body.columns.map((c) => c.name), rows: body.rows };
    page = 0;
    showPage();
    let text = body.row_count + ' rows in ' + ms.toFixed(0) + ' ms, ' + (bytes / 1024).toFixed(1) + ' KiB';
    if (body.truncated)
      text += ' (truncated at ' + body.truncated.rows + ' rows: ' + body.truncated.reason + ')';
    if (body.error) {
      setStatus($('query-status'), text + '; then failed: ' + body.error.message, true);
    } else setStatus($('query-status'), text);
  } catch (e) {
    setStatus($('query-status'), e.message, true);
  } finally {
    $('cancel').disabled = true;
    runningId = null;
  }
};
$('cancel').onclick = async () => {
  if (runningId) await api('DELETE', '/v1/query/' + encodeURIComponent(runningId)).catch(() => undefined);
};
$('explain').onclick = async () => {
  try {
    const { body } = await api('POST', '/v1/explain', {
      sql: $('sql').value,
      source: $('source').value || undefined,
    });
    $('explain-out').textContent = body.explain;
    $('explain-out').hidden = false;
  } catch (e) {
    setStatus($('query-status'), e.message, true);
  }
};

// ---- pipelines page
let selected = null;
let poll = null;
let chart = null;
let series = [[], []];
let lastLoaded = null;
async function loadPipelines() {
  try {
    const { body } = await api('GET', '/v1/pipelines');
    renderTable($('pipelines'), ['name', 'state', 'desiredState', 'owner', 'runningHere', 'lastError'], body);
    const rows = $('pipelines').tBodies[0].rows;
    body.forEach((p, i) => {
      rows[i].onclick = () => selectPipeline(p.name);
    });
    setStatus($('pipelines-status'), body.length + ' pipeline(s)');
  } catch (e) {
    setStatus($('pipelines-status'), e.message, true);
  }
}
function selectPipeline(name) {
  selected = name;
  $('pipeline-detail').hidden = false;
  $('pipeline-name').textContent = name;
  series = [[], []];
  lastLoaded = null;
  if (chart) chart.destroy();
  chart = new uPlot(
    {
      width: 640,
      height: 220,
      title: 'rows/s',
      series: [{}, { label: 'rows/s', stroke: '#2f6fde', width: 2 }],
      axes: [{}, { label: 'rows/s' }],
    },
    series,
    $('rate-chart'),
  );
  clearInterval(poll);
  poll = setInterval(refreshPipeline, 1000);
  refreshPipeline();
}
async function refreshPipeline() {
  if (!selected) return;
  try {
    const { body } = await api('GET', '/v1/pipelines/' + encodeURIComponent(selected));
    const loaded = body.partitions.reduce((s, p) => s + p.rowsLoaded, 0);
    const now = Date.now() / 1000;
    const runnerRate = body.runner ? body.runner.partitions.reduce((s, p) => s + p.rowsPerSecond, 0) : null;
    const rate = lastLoaded
      ? Math.max(0, (loaded - lastLoaded.rows) / (now - lastLoaded.at))
      : runnerRate || 0;
    lastLoaded = { rows: loaded, at: now };
    series[0].push(now);
    series[1].push(rate);
    if (series[0].length > 300) {
      series[0].shift();
      series[1].shift();
    }
    chart.setData(series);
    const lag = body.partitions.reduce((s, p) => s + (p.lag || 0), 0);
    setStatus(
      $('pipeline-state'),
      body.state +
        ' (wanted: ' +
        body.desiredState +
        '), total lag ' +
        lag +
        ', ' +
        loaded +
        ' rows loaded, ' +
        rate.toFixed(0) +
        ' rows/s' +
        (body.lastError ? ', last error: ' + body.lastError : ''),
    );
    renderTable(
      $('partitions'),
      ['topic', 'partition', 'offset', 'latest', 'lag', 'rowsLoaded', 'failed', 'rowsPerSecond', 'batchMs'],
      body.partitions.map((p) =>
        Object.assign({}, p, {
          rowsPerSecond:
            p.recent && p.recent.seconds > 0 ? Math.round(p.recent.rows / p.recent.seconds) : null,
          batchMs: p.recent ? Math.round(p.recent.avgLatencyMs) : null,
        }),
      ),
    );
    const errors = await api('GET', '/v1/pipelines/' + encodeURIComponent(selected) + '/errors?limit=10');
    renderTable($('pipeline-errors'), ['topic', 'partition', 'offset', 'stage', 'error'], errors.body.errors);
  } catch (e) {
    setStatus($('pipeline-state'), e.message, true);
  }
}
for (const button of document.querySelectorAll('#pipeline-detail button[data-action]')) {
  button.onclick = async () => {
    try {
      await api('POST', '/v1/pipelines/' + encodeURIComponent(selected) + '/' + button.dataset.action);
      refreshPipeline();
      loadPipelines();
    } catch (e) {
      setStatus($('pipeline-state'), e.message, true);
    }
  };
}
$('refresh-pipelines').onclick = loadPipelines;

// ---- stack page
async function loadStack() {
  try {
    const { body } = await api('GET', '/v1/sources');
    renderTable($('sources'), ['name', 'url', 'dialect', 'ok', 'latencyMs', 'allow', 'error'], body);
    const queries = await api('GET', '/v1/queries');
    renderTable($('queries'), ['query_id', 'source', 'format', 'started_at', 'rows', 'bytes'], queries.body);
  } catch (e) {
    renderTable($('sources'), ['error'], [{ error: e.message }]);
  }
}
$('refresh-stack').onclick = loadStack;

loadSources();
show(location.hash.slice(1) || 'query');
