/* app.js — the dashboard's only script (served from the binary, CSP
 * script-src 'self'): dates in the viewer's zone, and the live campaign
 * page fed by Server-Sent Events.  Every page works without it. */
"use strict";

function mcLocalTimes(root) {
	root.querySelectorAll("time[datetime]").forEach(function (t) {
		var d = new Date(t.getAttribute("datetime"));
		if (!isNaN(d.getTime()))
			t.textContent = d.toLocaleString();
	});
}

function mcGroup(n) {
	return Number(n).toLocaleString();
}

function mcSet(id, text) {
	var e = document.getElementById(id);
	if (e)
		e.textContent = text;
}

function mcLive(box) {
	var src = new EventSource(box.getAttribute("data-events"));
	src.addEventListener("sample", function (ev) {
		var s = JSON.parse(ev.data);
		mcSet("st-state", s.state);
		mcSet("st-sent", mcGroup(s.sent));
		mcSet("st-deferred", mcGroup(s.deferred));
		mcSet("st-failed", mcGroup(s.failed));
		mcSet("st-queued", mcGroup(s.queued));
		mcSet("st-rate", mcGroup(Math.round(s.rate)) + "/s");
		mcSet("st-eta", s.eta >= 0 ? s.eta + " s" : "—");
		var chart = document.getElementById("live-chart");
		if (chart && s.svg)
			chart.innerHTML = s.svg;
		var body = document.getElementById("dest-rows");
		if (body && s.dests) {
			body.textContent = "";
			s.dests.forEach(function (d) {
				var tr = document.createElement("tr");
				[d.key, mcGroup(d.sent), mcGroup(d.deferred),
				 mcGroup(d.failed), d.last].forEach(function (v) {
					var td = document.createElement("td");
					td.textContent = v;
					tr.appendChild(td);
				});
				body.appendChild(tr);
			});
		}
		if (s.final) {
			src.close();
			/* the run ended while we watched: fresh buttons */
			if (box.getAttribute("data-live") === "1")
				location.reload();
		}
	});
}

document.addEventListener("DOMContentLoaded", function () {
	mcLocalTimes(document);
	var box = document.getElementById("live");
	if (box)
		mcLive(box);
});
