// Drives the status page in the system Chromium (playwright-core, no browser download) and prints what it found
// as one JSON line. Usage: node status-page.mjs <url> <inspect|reset PROVIDER|screenshot FILE> [--key ADMIN_KEY]
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, mode, arg, ...rest] = process.argv.slice(2);
const keyAt = rest.indexOf("--key");
const adminKey = keyAt >= 0 ? rest[keyAt + 1] : (arg === "--key" ? rest[0] : null);
const profile = mkdtempSync(join(tmpdir(), "status-page-chromium-"));
const out = { consoleErrors: [], pageErrors: [], dialogs: [] };

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 1100 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(20000);
  page.on("console", m => { if (m.type() === "error") out.consoleErrors.push(m.text()); });
  page.on("pageerror", e => out.pageErrors.push(String(e)));
  page.on("dialog", async d => {
    out.dialogs.push({ type: d.type(), message: d.message() });
    if (d.type() === "confirm") await d.accept(); else await d.dismiss();
  });
  const response = await page.goto(url, { waitUntil: "load" });
  out.status = response.status();
  out.url = page.url();
  if (adminKey) {
    await page.waitForSelector("#key-form:not([hidden])");
    await page.fill("#key-input", adminKey);
    await page.click("#key button[type=submit]");
  }
  await page.waitForSelector("body[data-loaded]");
  const read = () => page.evaluate(() => {
    const cells = tr => Object.fromEntries([...tr.querySelectorAll("td[data-field]")].map(td => [td.dataset.field, td.textContent]));
    return {
      providers: Object.fromEntries([...document.querySelectorAll(".card")].map(c => [c.dataset.provider, {
        state: c.querySelector(".state").dataset.state,
        label: c.querySelector(".state").textContent,
        text: c.textContent,
        requestsToday: c.querySelector(".requests-today").textContent,
      }])),
      total: cells(document.querySelector("#totals tfoot tr")),
      models: [...document.querySelectorAll("#totals tbody tr")].map(tr => ({ model: tr.cells[0].textContent, ...cells(tr) })),
      recent: [...document.querySelectorAll("#recent tbody tr")].map(tr => [...tr.cells].map(td => td.textContent)),
      injected: document.querySelectorAll("main img, section img, table img, .card img").length,
      svgBars: document.querySelectorAll("#chart-tokens rect").length,
      liveStreams: document.getElementById("open-streams").textContent,
      error: document.getElementById("error").hidden ? null : document.getElementById("error").textContent,
      keyStored: sessionStorage.getItem("anthropic-proxy.admin-key") !== null,
      keyInUrl: location.href.includes("key"),
    };
  });
  if (mode === "reset") {
    const card = `.card[data-provider="${arg}"]`;
    out.before = (await read()).providers[arg];
    await page.click(`${card} button.reset`);
    await page.waitForSelector(`${card} .state[data-state="available"]`);
  } else if (mode === "screenshot") {
    await page.waitForTimeout(300);
    await page.screenshot({ path: arg });
  }
  Object.assign(out, await read());
  // a refresh later, still no error and nothing injected
  const loaded = await page.evaluate(() => document.body.dataset.loaded);
  await page.waitForFunction(l => document.body.dataset.loaded !== l, loaded, { timeout: 15000 });
  out.afterRefresh = await read();
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
