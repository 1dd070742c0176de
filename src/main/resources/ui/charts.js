// Plain SVG charts. Every label goes in as text (textContent), never as markup.
"use strict";
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#0b57d0", "#e8710a", "#1a7f37", "#a142f4", "#c62828", "#12a4af", "#b06000", "#5f6368"];

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function color(i) { return PALETTE[i % PALETTE.length]; }

  function niceMax(v) {
    if (v <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  // stacked bars: days [{label, parts: {series: value}}], series in stacking order
  function stacked(days, series, format) {
    const W = 560, H = 220, L = 56, B = 22, T = 8;
    const svg = el("svg", {viewBox: `0 0 ${W} ${H}`, role: "img"});
    const totals = days.map(d => series.reduce((s, k) => s + (d.parts[k] || 0), 0));
    const max = niceMax(Math.max(0, ...totals));
    const y = v => H - B - (v / max) * (H - B - T);
    for (let i = 0; i <= 4; i++) {
      const v = max * i / 4;
      svg.appendChild(el("line", {x1: L, x2: W, y1: y(v), y2: y(v), stroke: "#e5e5e0"}));
      svg.appendChild(el("text", {x: L - 4, y: y(v) + 3, "text-anchor": "end"}, format(v)));
    }
    const slot = (W - L) / Math.max(1, days.length);
    days.forEach((d, i) => {
      let base = 0;
      series.forEach((k, j) => {
        const v = d.parts[k] || 0;
        if (v <= 0) return;
        const r = el("rect", {x: L + i * slot + slot * 0.15, width: slot * 0.7, y: y(base + v), height: Math.max(0.5, y(base) - y(base + v)), fill: color(j)});
        r.appendChild(el("title", {}, `${d.label} · ${k}: ${format(v)}`));
        svg.appendChild(r);
        base += v;
      });
      if (i % 2 === days.length % 2 || days.length <= 7) {
        svg.appendChild(el("text", {x: L + i * slot + slot / 2, y: H - 6, "text-anchor": "middle"}, d.label.slice(5)));
      }
    });
    return svg;
  }

  // one horizontal bar of share in [0, 1]
  function bar(share, fill) {
    const svg = el("svg", {viewBox: "0 0 200 14", preserveAspectRatio: "none", height: 14});
    svg.appendChild(el("rect", {x: 0, y: 0, width: 200, height: 14, fill: "#eeeeea"}));
    svg.appendChild(el("rect", {x: 0, y: 0, width: Math.max(0, Math.min(1, share)) * 200, height: 14, fill: fill || color(0)}));
    return svg;
  }

  return {stacked, bar, color};
})();
