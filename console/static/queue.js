// The live queue: open alerts pushed by the console (Server-Sent Events); ages tick every second.
// EventSource reconnects by itself when the connection drops; the status line says so meanwhile.
"use strict";
(function () {
  const body = document.getElementById("queue");
  const status = document.getElementById("status");
  const count = document.getElementById("count");
  let alerts = [];

  function age(ms) {
    const s = Math.max(0, Math.floor((Date.now() - ms) / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h > 0 ? `${h} giờ ${m} phút` : m > 0 ? `${m} phút ${s % 60} giây` : `${s} giây`;
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function draw() {
    body.replaceChildren();
    for (const a of alerts) {
      const row = body.insertRow();
      row.dataset.alertId = a.alert_id;
      row.className = "sev-row-" + a.severity;
      const sev = cell(row, "");
      const badge = document.createElement("span");
      badge.className = "sev sev-" + a.severity;
      badge.textContent = a.severity_vi;
      sev.appendChild(badge);
      const link = document.createElement("a");
      link.href = "/alerts/" + encodeURIComponent(a.alert_id);
      link.textContent = a.headline || a.alert_id;
      cell(row, "").appendChild(link);
      cell(row, a.area);
      cell(row, a.category_vi);
      cell(row, a.state_vi);
      cell(row, a.opened_local);
      cell(row, age(a.opened_ms), "age").dataset.opened = a.opened_ms;
      cell(row, a.level_vi);
      cell(row, a.acknowledged_by || "—", "acked");
    }
    count.textContent = `(${alerts.length})`;
  }

  function tick() {
    for (const td of body.querySelectorAll("td.age")) td.textContent = age(Number(td.dataset.opened));
  }

  const source = new EventSource("/api/queue/stream");
  source.addEventListener("queue", (event) => {
    const data = JSON.parse(event.data);
    if (data.ok) {
      alerts = data.alerts;
      draw();
      status.textContent = "Trực tiếp · cập nhật lúc " + new Date().toLocaleTimeString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" });
      status.className = "status live";
    } else {
      status.textContent = data.message + " Danh sách dưới đây là lần cập nhật cuối.";
      status.className = "status stale";
    }
  });
  source.addEventListener("signed_out", (event) => {
    source.close();
    window.location.href = "/login?ly_do=expired";
  });
  source.onerror = () => {
    status.textContent = "Mất kết nối tới bảng điều hành; đang kết nối lại…";
    status.className = "status stale";
  };
  setInterval(tick, 1000);
})();
