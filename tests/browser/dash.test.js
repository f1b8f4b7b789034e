#!/usr/bin/env node
/*
 * dash.test.js — the dashboard in a real browser (issue 14 Must show 1):
 * Debian's chromium, headless, driven by puppeteer-core (never a
 * downloaded browser).  mailcast's sink on 127.0.0.1:27411, `mailcast
 * serve` on 127.0.0.1:27410.
 *
 * Log in; start a campaign from its page, see it running on the live
 * page (SSE), pause and resume from the page, watch it reach "done" with
 * the numbers `campaign report --json` gives; one-click-unsubscribe a
 * recipient (the List-Unsubscribe URL of the message it got) and see it
 * "unsubscribed" on the contacts page.  Every page: a screenshot into
 * SHOTS (the build dir), axe-core with no serious or critical violation,
 * no script error (the CSP allows only 'self').
 *
 * Usage: node dash.test.js PATH/TO/mailcast SHOTS_DIR
 */
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn, execFileSync } = require("child_process");
const net = require("net");
const puppeteer = require("puppeteer-core");
const axeSource = require("axe-core").source;

const HOST = "127.0.0.1";
const PORT = 27410;
const SINK = 27411;
const BASE = `http://${HOST}:${PORT}`;
const mc = path.resolve(process.argv[2]);
const shots = path.resolve(process.argv[3] || "screenshots");
const failures = [];

function check(cond, what) {
	console.log((cond ? "ok   " : "FAIL ") + what);
	if (!cond)
		failures.push(what);
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

async function waitPort(port) {
	for (let i = 0; i < 200; i++) {
		const ok = await new Promise((res) => {
			const s = net.connect(port, HOST, () => { s.end(); res(true); });
			s.on("error", () => res(false));
		});
		if (ok)
			return;
		await sleep(50);
	}
	throw new Error("nothing listens on " + port);
}

async function main() {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mailcast-browser."));
	const db = path.join(tmp, "t.db");
	const store = ["--store", "sqlite:" + db];
	const run = (...a) => execFileSync(mc, store.concat(a),
	                                   { encoding: "utf8", input: "" });
	const procs = [];
	let browser;
	fs.mkdirSync(shots, { recursive: true });
	try {
		let csv = "email,first_name\n";
		for (let i = 0; i < 150; i++)
			csv += `user${i}@d${i % 3}.example,N${i}\n`;
		fs.writeFileSync(path.join(tmp, "l.csv"), csv);
		const tmpl = path.join(tmp, "t.tmpl");
		fs.writeFileSync(tmpl, "From: News <news@news.example>\n" +
		                 "Subject: Hi\n\nHello {{first_name}}\n");
		const md = path.join(tmp, "md");
		procs.push(spawn(mc, ["sink", "--listen", `${HOST}:${SINK}`,
		                      "--maildir", md, "--quiet"],
		                 { stdio: "ignore" }));
		await waitPort(SINK);
		run("list", "import", path.join(tmp, "l.csv"), "--list", "news");
		run("campaign", "create", "--name", "December news", "--list",
		    "news", "--template", tmpl, "--from", "news@news.example",
		    "--relay", `${HOST}:${SINK}`, "--tls", "none", "--rate", "10",
		    "--unsubscribe-url",
		    `https://lists.news.example/unsubscribe/`);
		fs.writeFileSync(path.join(tmp, "pw"), "browser test pw 1\n",
		                 { mode: 0o600 });
		run("user", "add", "alice", "--role", "admin", "--password-file",
		    path.join(tmp, "pw"));
		const serve = spawn(mc, ["--log", path.join(tmp, "serve.log")]
		                        .concat(store, ["serve", "--listen",
		                                        `${HOST}:${PORT}`]),
		                    { stdio: "ignore" });
		procs.push(serve);
		await waitPort(PORT);

		browser = await puppeteer.launch({
			executablePath: "/usr/bin/chromium",
			headless: true,
			args: ["--headless", "--no-sandbox", "--disable-gpu",
			       "--disable-quic", "--no-first-run",
			       "--disable-background-networking",
			       "--disable-component-update", "--disable-sync",
			       "--user-data-dir=" + path.join(tmp, "chromium")],
		});
		const page = await browser.newPage();
		await page.setViewport({ width: 390, height: 844 }); /* a phone */
		const errors = [];
		page.on("pageerror", (e) => errors.push(String(e)));
		page.on("console", (m) => {
			if (m.type() === "error")
				errors.push(m.text());
		});

		const axeCheck = async (name) => {
			await page.evaluate(axeSource);
			const r = await page.evaluate(async () => {
				const res = await window.axe.run(document);
				return res.violations.map((v) => ({ id: v.id,
				                                    impact: v.impact }));
			});
			const bad = r.filter((v) => v.impact === "serious" ||
			                            v.impact === "critical");
			check(bad.length === 0,
			      `axe: ${name}: no serious/critical violation ` +
			      JSON.stringify(bad));
		};
		const shoot = async (name) => {
			await page.screenshot({ path: path.join(shots, name + ".png"),
			                        fullPage: true });
			await axeCheck(name);
		};
		const text = (sel) => page.$eval(sel, (e) => e.textContent.trim());
		const num = async (sel) => Number((await text(sel))
		                                  .replace(/[^0-9]/g, ""));

		/* log in */
		await page.goto(BASE + "/dash/campaigns");
		check(page.url().endsWith("/dash/login"),
		      "without a session the dashboard shows the login page");
		await shoot("login");
		await page.type("#user", "alice");
		await page.type("#password", "browser test pw 1");
		await Promise.all([page.waitForNavigation(),
		                   page.click("button[type=submit]")]);
		check(page.url().endsWith("/dash/campaigns"), "logged in");
		await shoot("campaigns");
		check((await page.content()).includes("December news"),
		      "the campaign is listed");

		/* start, pause, resume, done */
		await Promise.all([page.waitForNavigation(),
		                   page.click("a[href='/dash/campaign/1']")]);
		await shoot("campaign-draft");
		await Promise.all([page.waitForNavigation(),
		                   page.click("form[action$='/start'] button")]);
		await page.waitForFunction(() => {
			const e = document.getElementById("st-sent");
			return e && Number(e.textContent.replace(/\D/g, "")) > 0;
		}, { timeout: 20000 });
		check((await text("#st-state")) === "running",
		      "the live page shows running with messages sent");
		await sleep(1200);
		await shoot("campaign-live");
		check((await page.$("#live-chart svg")) !== null,
		      "the live chart (server-drawn SVG) is on the page");
		check((await text("#dest-rows")).includes("250"),
		      "the destination table shows the last reply (250)");
		await Promise.all([page.waitForNavigation(),
		                   page.click("form[action$='/pause'] button")]);
		/* settled: the page reloaded itself, its buttons fresh */
		await page.waitForFunction(() =>
			document.getElementById("live").dataset.live === "0" &&
			document.getElementById("st-state").textContent === "paused",
			{ timeout: 20000 });
		const rp = JSON.parse(run("campaign", "report", "1", "--json"));
		check(rp.status === "paused" && rp.states.sent < 150,
		      `paused from the page (sent ${rp.states.sent} of 150)`);
		await shoot("campaign-paused");
		await Promise.all([page.waitForNavigation(),
		                   page.click("form[action$='/resume'] button")]);
		/* settled: the page reloaded itself, its buttons fresh */
		await page.waitForFunction(() =>
			document.getElementById("live").dataset.live === "0" &&
			document.getElementById("st-state").textContent === "done",
			{ timeout: 60000 });
		const r = JSON.parse(run("campaign", "report", "1", "--json"));
		const shown = { sent: await num("#st-sent"),
		                deferred: await num("#st-deferred"),
		                failed: await num("#st-failed") };
		check(r.status === "done" && shown.sent === r.states.sent &&
		      shown.deferred === r.states.deferred &&
		      shown.failed === r.states.failed + r.states.bounced,
		      "the live page's numbers at done equal campaign report " +
		      `--json (${JSON.stringify(shown)})`);
		await shoot("campaign-done");
		await page.goto(BASE + "/dash/campaign/1/report");
		check(await num("#rp-sent") === r.states.sent,
		      "the report page says the same");
		await shoot("report");

		/* one-click unsubscribe of one recipient */
		let url = null, addr = null;
		for (const f of fs.readdirSync(path.join(md, "new"))) {
			const m = fs.readFileSync(path.join(md, "new", f), "utf8");
			const lu = /^List-Unsubscribe:\s*([^]*?)\n(?!\s)/m.exec(m);
			const to = /^To:\s*<?([^>\s]+)>?/m.exec(m);
			if (lu && to) {
				url = /<(https:[^>]+)>/.exec(lu[1].replace(/\s+/g, ""))[1];
				addr = to[1];
				break;
			}
		}
		const upath = new URL(url).pathname;
		const res = await fetch(BASE + upath, {
			method: "POST",
			headers: { "Content-Type":
			           "application/x-www-form-urlencoded" },
			body: "List-Unsubscribe=One-Click" });
		check(res.status === 200, `one-click POST for ${addr}: 200`);
		await page.goto(BASE + "/dash/contacts?q=" +
		                encodeURIComponent(addr));
		check(await text("#contact-status") === "unsubscribed",
		      `the contacts page shows ${addr} unsubscribed`);
		await shoot("contact");
		for (const p of ["contacts", "suppressions", "lists", "mailboxes",
		                 "settings"]) {
			await page.goto(BASE + "/dash/" + p);
			await shoot(p);
		}
		const all = await page.content();
		check(!all.includes("browser test pw 1") &&
		      !all.includes("$argon2id"),
		      "settings show no password and no hash");
		/* keyboard: the skip link is the first stop */
		await page.keyboard.press("Tab");
		check(await page.evaluate(() =>
			document.activeElement.className) === "skip",
		      "Tab reaches the skip link first");
		check(errors.length === 0,
		      "no script or CSP error in the console " +
		      JSON.stringify(errors));
	} finally {
		if (browser)
			await browser.close();
		for (const p of procs)
			p.kill("SIGTERM");
		if (failures.length === 0)
			fs.rmSync(tmp, { recursive: true, force: true });
		else
			console.log("kept " + tmp);
	}
	console.log("screenshots in " + shots);
	if (failures.length) {
		console.log(failures.length + " FAILED");
		process.exit(1);
	}
	console.log("all passed");
}

main().catch((e) => { console.error(e); process.exit(1); });
