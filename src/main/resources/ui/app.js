// The status page. Reads /health (open), /v1/quota and /v1/usage (admin), refreshes every few seconds.
// Every value from the server goes into the page as text (textContent / setAttribute), never as markup:
// model names and error messages come from clients and upstreams.
"use strict";
(() => {
  const KEY = "anthropic-proxy.admin-key";
  const REFRESH_MS = 5000;
  const NUM = new Intl.NumberFormat("en-US");
  const $ = id => document.getElementById(id);
  const STATE_LABEL = {available: "available", cooling_down: "cooling down", ejected: "ejected", exhausted: "quota exhausted"};

  class NeedKey extends Error {}

  function adminKey() { return sessionStorage.getItem(KEY) || ""; }

  async function api(path, init) {
    const headers = {accept: "application/json"};
    const k = adminKey();
    if (k) headers["x-api-key"] = k;
    const r = await fetch(path, Object.assign({headers, cache: "no-store"}, init || {}));
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (r.status === 401) throw new NeedKey(body && body.error ? body.error.message : "an admin key is needed");
    if (!r.ok) throw new Error((body && body.error && body.error.message) || ("HTTP " + r.status + " from " + path));
    return body;
  }

  function node(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function num(n) { return NUM.format(n || 0); }

  function usd(v) {
    if (v === null || v === undefined) return "n/a";
    if (v === 0) return "$0.00";
    if (v >= 1) return "$" + v.toLocaleString("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
    return "$" + v.toFixed(v >= 0.01 ? 4 : 6);
  }

  function duration(ms) {
    if (ms <= 0) return "now";
    let s = Math.floor(ms / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const p2 = x => String(x).padStart(2, "0");
    if (d > 0) return `${d}d ${h}h ${p2(m)}m`;
    if (h > 0) return `${h}h ${p2(m)}m ${p2(s)}s`;
    return `${m}m ${p2(s)}s`;
  }

  function countdown(until, prefix) {
    const e = node("span", "", "countdown");
    e.dataset.until = until;
    e.dataset.prefix = prefix || "";
    tick(e);
    return e;
  }

  function tick(e) {
    const t = Date.parse(e.dataset.until);
    e.textContent = isNaN(t) ? "" : e.dataset.prefix + duration(t - Date.now());
  }

  function addDays(isoDay, n) {
    const d = new Date(isoDay + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function monday(isoDay) {
    const d = new Date(isoDay + "T00:00:00Z");
    return addDays(isoDay, -((d.getUTCDay() + 6) % 7));
  }

  // the state issued by the server when it has one, else derived from the quota fields every version has
  function stateOf(health, quota) {
    const src = (health && health.state) ? health : (quota && quota.state) ? quota : null;
    if (src) return {state: src.state, until: src.until || null, reason: src.reason || null, failures: src.consecutive_failures};
    const q = quota || {};
    const now = Date.now();
    if (q.exhausted) return {state: "exhausted", until: q.reset_at, reason: q.last_error};
    if (q.cooldown_until && Date.parse(q.cooldown_until) > now) return {state: "cooling_down", until: q.cooldown_until, reason: q.cooldown_reason};
    return {state: "available", until: null, reason: null};
  }

  function row(dl, term, value) {
    dl.appendChild(node("dt", term));
    const dd = node("dd");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value === null || value === undefined ? "–" : String(value);
    dl.appendChild(dd);
    return dd;
  }

  function renderProviders(health, quota, today) {
    const box = $("providers");
    const cards = [];
    const qp = (quota && quota.providers) || {};
    const todayByProvider = {};
    if (today) for (const r of today.rows) todayByProvider[r.key] = r.requests;
    for (const p of health.providers || []) {
      const q = qp[p.name] || (health.quota && health.quota.providers && health.quota.providers[p.name]) || null;
      const s = stateOf(p, q);
      const card = node("div", null, "card");
      card.dataset.provider = p.name;
      const h = node("h3");
      h.appendChild(node("span", p.name, "name"));
      const st = node("span", STATE_LABEL[s.state] || s.state, "state " + s.state);
      st.dataset.state = s.state;
      h.appendChild(st);
      card.appendChild(h);
      const dl = node("dl");
      row(dl, "kind", p.kind);
      row(dl, "base URL", p.base_url);
      if (s.until) row(dl, s.state === "exhausted" ? "quota back in" : "back in", countdown(s.until));
      if (s.reason) row(dl, "reason", s.reason);
      if (s.failures) row(dl, "failures in a row", s.failures);
      if (q && q.reset_policy) row(dl, "quota resets", q.reset_policy);
      const c = p.credential || {};
      row(dl, "credential", (c.source || "–") + (c.available === false ? " (not available)" : ""));
      if (c.expires_at) row(dl, "expires in", countdown(c.expires_at));
      if (c.last_refresh_at) row(dl, "last refresh", new Date(c.last_refresh_at).toLocaleString() + (c.last_refresh ? " · " + c.last_refresh : ""));
      const todayCell = row(dl, "requests today", today ? num(todayByProvider[p.name] || 0) : "–");
      todayCell.className = "requests-today";
      if (q && q.last_error && s.state === "available") row(dl, "last error", q.last_error);
      card.appendChild(dl);
      const reset = node("button", "Reset quota state", "reset");
      reset.type = "button";
      reset.addEventListener("click", () => resetProvider(p.name));
      card.appendChild(reset);
      cards.push(card);
    }
    box.replaceChildren(...cards);
  }

  async function resetProvider(name) {
    if (!window.confirm(`Reset the quota state of provider "${name}"? It will be tried again at once.`)) return;
    try {
      await api("/v1/quota/reset?provider=" + encodeURIComponent(name), {method: "POST"});
      await refresh();
    } catch (e) {
      showError(e);
    }
  }

  function renderTotals(report) {
    const body = [];
    // "-": requests no upstream answered (refused before, or failed everywhere)
    for (const r of report.rows) body.push(totalsRow(r.key === "-" ? "– (no upstream answer)" : r.key, r));
    $("totals").tBodies[0].replaceChildren(...body);
    const foot = $("totals").tFoot;
    foot.replaceChildren(totalsRow("Total", report.total));
  }

  function totalsRow(label, r) {
    const tr = node("tr");
    tr.appendChild(node("td", label));
    for (const f of ["requests", "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "total_tokens"]) {
      const td = node("td", num(r[f]));
      td.dataset.field = f;
      tr.appendChild(td);
    }
    const cost = node("td", usd(r.cost_usd) + (r.cost_complete === false ? "+" : ""));
    cost.dataset.field = "cost_usd";
    if (r.cost_complete === false) cost.title = "some models have no price";
    tr.appendChild(cost);
    return tr;
  }

  function renderCharts(daily, from14, to) {
    const days = [];
    const models = new Map();
    const byDay = {};
    for (const r of daily.rows) byDay[r.key] = r;
    for (let d = from14; d <= to; d = addDays(d, 1)) {
      const r = byDay[d];
      const parts = r ? r.tokens_by_model || {} : {};
      for (const [m, v] of Object.entries(parts)) models.set(m, (models.get(m) || 0) + v);
      days.push({label: d, parts, cost: r ? r.cost_usd : 0});
    }
    const series = [...models.entries()].filter(e => e[1] > 0).sort((a, b) => b[1] - a[1]).map(e => e[0]);
    $("chart-tokens").replaceChildren(Charts.stacked(days, series, v => num(Math.round(v))));
    $("legend").replaceChildren(...series.map((m, i) => {
      const s = node("span", m);
      s.style.setProperty("--swatch", Charts.color(i));
      return s;
    }));
    const costDays = days.map(d => ({label: d.label, parts: {cost: d.cost || 0}}));
    $("chart-cost").replaceChildren(Charts.stacked(costDays, ["cost"], v => usd(v)));
  }

  function renderWeek(week, health, quota) {
    const box = $("week");
    const rows = [];
    const max = Math.max(1, ...week.rows.map(r => r.total_tokens));
    const qp = (quota && quota.providers) || {};
    for (const p of health.providers || []) {
      const r = week.rows.find(x => x.key === p.name) || {total_tokens: 0, requests: 0, cost_usd: 0};
      const q = qp[p.name] || {};
      const s = stateOf(p, q);
      const line = node("div", null, "week-row");
      line.appendChild(node("span", p.name));
      const right = node("div");
      right.appendChild(Charts.bar(r.total_tokens / max));
      const text = node("div", `${num(r.total_tokens)} tokens · ${num(r.requests)} requests · ${usd(r.cost_usd)}`, "muted");
      if (s.state === "exhausted" && s.until) {
        text.appendChild(document.createTextNode(" · quota back in "));
        text.appendChild(countdown(s.until));
      } else if (q.reset_policy) {
        text.appendChild(document.createTextNode(" · resets " + q.reset_policy));
      }
      right.appendChild(text);
      line.appendChild(right);
      rows.push(line);
    }
    box.replaceChildren(...rows);
  }

  function renderRecent(recent) {
    const rows = [];
    for (const r of recent.requests) {
      const tr = node("tr", null, r.status >= 400 ? "failed" : "");
      const t = new Date(r.time);
      const sameDay = t.toDateString() === new Date().toDateString();
      tr.appendChild(node("td", (sameDay ? "" : t.toLocaleDateString() + " ") + t.toLocaleTimeString()));
      tr.appendChild(node("td", r.client_model || "–"));
      const where = node("td", `${r.provider || "–"} / ${r.upstream_model || "–"}`);
      if (r.failovers > 0) where.appendChild(node("span", ` ↻ ${r.failovers} failover${r.failovers > 1 ? "s" : ""}`, "failover"));
      tr.appendChild(where);
      tr.appendChild(node("td", r.status + (r.stream ? " stream" : "")));
      tr.appendChild(node("td", r.ttfb_ms === null ? "–" : `${Math.round(r.ttfb_ms)} ms`));
      tr.appendChild(node("td", `${Math.round(r.duration_ms)} ms`));
      for (const f of ["input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"]) tr.appendChild(node("td", num(r[f])));
      rows.push(tr);
    }
    $("recent").tBodies[0].replaceChildren(...rows);
  }

  function showError(e) {
    const box = $("error");
    box.hidden = !e;
    box.textContent = e ? String(e.message || e) : "";
  }

  function askForKey(message) {
    $("key-form").hidden = false;
    $("key-error").textContent = adminKey() ? message : "";
  }

  async function refresh() {
    let health;
    try {
      health = await api("/health");
    } catch (e) {
      $("status").textContent = "unreachable";
      $("status").className = "pill bad";
      showError(e);
      return;
    }
    $("version").textContent = health.version ? "v" + health.version : "";
    $("status").textContent = health.status || "?";
    $("status").className = "pill " + (health.status === "healthy" ? "ok" : "bad");
    $("open-streams").textContent = num(health.open_streams);
    $("in-flight").textContent = num(Math.max(0, (health.in_flight || 1) - 1)); // less this page's own request
    $("change-key").hidden = !health.client_keys;
    if (health.client_keys && !adminKey()) {
      renderProviders(health, health.quota, null);
      askForKey("");
      return;
    }
    try {
      const quota = await api("/v1/quota");
      const daily = await api("/v1/usage?group_by=day");
      const to = daily.to;
      const from14 = addDays(to, -13);
      const [models, today, week, recent] = await Promise.all([
        api(`/v1/usage?group_by=model&from=${from14}&to=${to}`),
        api(`/v1/usage?group_by=provider&from=${to}&to=${to}`),
        api(`/v1/usage?group_by=provider&from=${monday(to)}&to=${to}`),
        api("/v1/usage/recent?limit=50"),
      ]);
      $("key-form").hidden = true;
      renderProviders(health, quota, today);
      renderTotals(models);
      renderCharts(daily, from14, to);
      renderWeek(week, health, quota);
      renderRecent(recent);
      showError(null);
      $("updated").textContent = "updated " + new Date().toLocaleTimeString();
      document.body.dataset.loaded = String(Date.now());
    } catch (e) {
      if (e instanceof NeedKey) {
        renderProviders(health, health.quota, null);
        askForKey(e.message);
      } else {
        showError(e);
      }
    }
  }

  $("key").addEventListener("submit", ev => {
    ev.preventDefault();
    const k = $("key-input").value.trim();
    if (k) sessionStorage.setItem(KEY, k); else sessionStorage.removeItem(KEY);
    $("key-input").value = "";
    refresh();
  });
  $("change-key").addEventListener("click", () => {
    $("key-form").hidden = false;
    $("key-input").focus();
  });

  setInterval(() => document.querySelectorAll(".countdown").forEach(tick), 1000);
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
})();
