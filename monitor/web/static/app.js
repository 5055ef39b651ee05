// 舆情哨 console: live countdowns and the duty board's refresh. No inline script anywhere (CSP script-src 'self').
"use strict";

(function () {
  const body = document.body;
  const warningLeft = parseFloat(body.dataset.warningLeft || "0.5");
  const criticalLeft = parseFloat(body.dataset.criticalLeft || "0.2");
  // The server's clock may be simulated: the demo's runs faster than real time, a test's stands still.
  // Countdowns follow it from the last time the server told us its time (page load or board poll).
  const speed = Math.max(0, parseFloat(body.dataset.clockSpeed || "1") || 0);
  let serverAt = Date.now();
  let browserAt = serverAt;

  function syncClock(iso) {
    const server = Date.parse(iso || "");
    if (Number.isNaN(server)) return;
    serverAt = server;
    browserAt = Date.now();
  }

  function serverNow() {
    return serverAt + (Date.now() - browserAt) * speed;
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  // Same wording as monitor/web/countdown.py format_span.
  function formatSpan(seconds) {
    let s = Math.floor(Math.abs(seconds));
    const days = Math.floor(s / 86400);
    s -= days * 86400;
    const hours = Math.floor(s / 3600);
    s -= hours * 3600;
    const minutes = Math.floor(s / 60);
    const secs = s - minutes * 60;
    if (days) return days + "天" + hours + "小时";
    if (hours) return hours + "小时" + pad(minutes) + "分";
    return minutes + "分" + pad(secs) + "秒";
  }

  function statusOf(start, due, now) {
    const left = (due - now) / 1000;
    if (left <= 0) return "breached";
    const share = left / Math.max(1, (due - start) / 1000);
    if (share <= criticalLeft) return "critical";
    if (share <= warningLeft) return "warning";
    return "running";
  }

  function tick() {
    const now = serverNow();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      if (el.dataset.done === "1") return;
      const start = Date.parse(el.dataset.start);
      const due = Date.parse(el.dataset.due);
      if (Number.isNaN(start) || Number.isNaN(due)) return;
      const status = statusOf(start, due, now);
      const left = (due - now) / 1000;
      const text = el.querySelector(".clock-left");
      if (text) text.textContent = left <= 0 ? "已超时 " + formatSpan(left) : "剩余 " + formatSpan(left);
      ["running", "warning", "critical", "breached"].forEach(function (s) {
        el.classList.toggle("status-" + s, s === status);
      });
    });
  }

  function knownIds(root) {
    const ids = new Set();
    root.querySelectorAll("[data-incident-id]").forEach(function (el) {
      ids.add(el.dataset.incidentId);
    });
    return ids;
  }

  function startBoard(board) {
    const target = document.getElementById("board-rows");
    const url = board.dataset.rowsUrl;
    const every = Math.max(1000, parseInt(board.dataset.refreshMs || "5000", 10));
    if (!target || !url) return;
    let seen = knownIds(target);
    let busy = false;

    async function refresh() {
      if (busy) return;
      busy = true;
      try {
        const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (res.redirected || res.status === 401) {
          window.location.reload(); // the session ended: go through the login page
          return;
        }
        if (!res.ok) return;
        const html = await res.text();
        const next = document.createElement("div");
        next.innerHTML = html; // server-rendered with every value escaped
        const summary = next.querySelector("[data-server-now]");
        if (summary) syncClock(summary.dataset.serverNow);
        next.querySelectorAll("[data-incident-id]").forEach(function (el) {
          if (!seen.has(el.dataset.incidentId)) el.classList.add("is-new");
        });
        target.replaceChildren(...next.childNodes);
        seen = knownIds(target);
        tick();
      } catch (err) {
        board.dataset.offline = "1";
      } finally {
        busy = false;
      }
    }

    window.setInterval(refresh, every);
  }

  function confirmDangerous() {
    document.querySelectorAll("form.action-form").forEach(function (form) {
      const action = form.dataset.action;
      if (action !== "resolve" && action !== "reassign" && action !== "escalate_now") return;
      form.addEventListener("submit", function (event) {
        if (!window.confirm("确定要执行此操作吗？")) event.preventDefault();
      });
    });
  }

  syncClock(body.dataset.serverNow);
  tick();
  window.setInterval(tick, 1000);
  const board = document.getElementById("board");
  if (board) startBoard(board);
  confirmDangerous();
})();
