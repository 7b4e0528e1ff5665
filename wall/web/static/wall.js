// The wall's kiosk pages: each panel of a generated Grafana dashboard drawn from its own JSON (type,
// grid position, unit, decimals, thresholds, value mappings, "no value" text), with the data the app
// returns for that panel's SQL. Grafana's rules are followed where the wall uses them: a NULL value goes
// through the special mapping ("Dữ liệu cũ"), an empty result shows the panel's noValue ("Mất dữ liệu"),
// thresholds colour by the last step at or below the value. Times are shown in Asia/Ho_Chi_Minh.
"use strict";

const TZ = "Asia/Ho_Chi_Minh";
const VIEW = window.WALL;
// Grafana's dark-theme values of the named colours the dashboards use.
const NAMED = {
  green: "#73BF69", "dark-green": "#37872D", yellow: "#FADE2A", orange: "#FF9830", red: "#F2495C",
  "dark-red": "#C4162A", blue: "#5794F2", purple: "#B877D9", text: "#d8d9da", transparent: "transparent",
};
const SERIES_COLORS = ["#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9",
  "#705DA0", "#37872D", "#FADE2A"];
const GREY = "#6E6E6E";
const clockFormat = new Intl.DateTimeFormat("vi-VN", { timeZone: TZ, hour: "2-digit", minute: "2-digit",
  second: "2-digit", hour12: false });
const hourMinute = new Intl.DateTimeFormat("vi-VN", { timeZone: TZ, hour: "2-digit", minute: "2-digit",
  hour12: false });
const dateTimeFormat = new Intl.DateTimeFormat("vi-VN", { timeZone: TZ, hour: "2-digit", minute: "2-digit",
  second: "2-digit", day: "2-digit", month: "2-digit", hour12: false });

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "style") Object.assign(node.style, value);
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
};
const svg = (tag, attrs = {}) => {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
};
const color = (name) => (name ? NAMED[name] || name : NAMED.text);

// ---- values: mappings, thresholds, units (the subset of Grafana's the wall uses) ----

function defaults(panel) {
  return (panel.fieldConfig && panel.fieldConfig.defaults) || {};
}

function mapped(value, config) {
  for (const mapping of config.mappings || []) {
    const options = mapping.options || {};
    if (mapping.type === "special" && value === null && options.match === "null") return options.result;
    if (mapping.type === "value" && value !== null && value !== undefined) {
      const result = options[String(value)];
      if (result) return result;
    }
  }
  return null;
}

function thresholdColor(value, config) {
  const steps = (config.thresholds && config.thresholds.steps) || [];
  let shade = steps.length ? steps[0].color : "green";
  for (const step of steps) if (step.value === null || value >= step.value) shade = step.color;
  return color(shade);
}

function number(value, decimals) {
  let digits = decimals;
  if (digits === undefined || digits === null) {
    const size = Math.abs(value);
    digits = Number.isInteger(value) || size >= 100 ? 0 : size >= 10 ? 1 : 2;
  }
  return value.toLocaleString("vi-VN", { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

function withUnit(value, unit, decimals) {
  if (unit && unit.startsWith("suffix:")) return number(value, decimals) + unit.slice(7);
  switch (unit) {
    case "percent": return number(value, decimals) + "%";
    case "velocitykmh": return number(value, decimals) + " km/h";
    case "lengthmm": return number(value, decimals) + " mm";
    case "s":
      if (Math.abs(value) < 60) return number(value, decimals) + " giây";
      if (Math.abs(value) < 3600) return number(value / 60, 1) + " phút";
      return number(value / 3600, 1) + " giờ";
    default: return number(value, decimals);
  }
}

// (text, colour) of one value through the panel's (or a column's) mappings, thresholds and unit.
function display(value, config) {
  const hit = mapped(value, config);
  if (hit) return { text: hit.text !== undefined ? hit.text : String(value), color: hit.color ? color(hit.color) : null };
  if (value === null || value === undefined) return { text: "", color: GREY };
  if (typeof value === "string") return { text: value, color: null };
  return { text: withUnit(value, config.unit, config.decimals), color: thresholdColor(value, config) };
}

function fieldName(panel) {
  const fields = panel.options && panel.options.reduceOptions && panel.options.reduceOptions.fields;
  return (fields || "/^value$/").replace(/^\/\^?/, "").replace(/\$?\/$/, "");
}

function column(frame, name) {
  const index = frame.columns.indexOf(name);
  return index < 0 ? null : frame.rows.map((row) => row[index]);
}

function noValue(body, panel) {
  body.replaceChildren(el("div", { className: "novalue" }, defaults(panel).noValue || "Mất dữ liệu"));
  return { value: null, text: defaults(panel).noValue || "Mất dữ liệu" };
}

// ---- panel types ----

function drawStat(body, panel, frame, section) {
  const values = column(frame, fieldName(panel));
  if (!values || !values.length) {
    section.style.background = "";
    return noValue(body, panel);
  }
  const value = values[values.length - 1];
  const config = defaults(panel);
  const shown = display(value, config);
  const background = panel.options.colorMode === "background";
  section.style.background = background && shown.color ? shown.color : "";
  section.classList.toggle("coloured", background && !!shown.color);
  const size = (panel.options.text && panel.options.text.valueSize) || 48;
  body.replaceChildren(el("div", { className: "stat", style: { fontSize: `min(${size}px, 60cqh, 14cqw)`,
    color: !background && shown.color && typeof value !== "string" ? shown.color : "" } }, shown.text));
  return { value, text: shown.text };
}

function drawBars(body, panel, frame) {
  const config = defaults(panel);
  const names = column(frame, "name");
  const values = column(frame, fieldName(panel));
  if (!values || !values.length) return noValue(body, panel);
  const limit = (panel.options.reduceOptions && panel.options.reduceOptions.limit) || values.length;
  const numeric = values.filter((v) => typeof v === "number");
  const top = config.max !== undefined && config.max !== null ? config.max : Math.max(1, ...numeric);
  const list = el("div", { className: "bars" });
  values.slice(0, limit).forEach((value, index) => {
    const shown = display(value, config);
    const share = typeof value === "number" ? Math.max(0, Math.min(1, value / top)) : 0;
    const fill = el("div", { className: "fill", style: { width: `${share * 100}%`, background: shown.color || GREY } });
    list.append(el("div", { className: "bar", "data-value": value === null ? "" : String(value) },
      el("div", { className: "name" }, names ? String(names[index]) : ""),
      el("div", { className: "track" }, fill),
      el("div", { className: "value", style: { color: shown.color || "" } }, shown.text)));
  });
  body.replaceChildren(list);
  return { value: values.length, text: "" };
}

function overrides(panel) {
  const byName = {};
  for (const override of (panel.fieldConfig && panel.fieldConfig.overrides) || []) {
    const config = {};
    for (const property of override.properties) {
      if (property.id === "custom.cellOptions") config.cell = property.value.type;
      else config[property.id] = property.value;
    }
    byName[override.matcher.options] = config;
  }
  return byName;
}

function drawTable(body, panel, frame) {
  if (!frame.rows.length) return noValue(body, panel);
  const byName = overrides(panel);
  const head = el("tr", {}, ...frame.columns.map((name) => el("th", {}, (byName[name] || {}).displayName || name)));
  const rows = frame.rows.slice(0, 50).map((row) => el("tr", {}, ...row.map((value, index) => {
    const config = byName[frame.columns[index]] || {};
    const isTime = frame.types[index].includes("DateTime");
    let text;
    let shade = null;
    if (isTime && value !== null) text = dateTimeFormat.format(new Date(value));
    else if (config.mappings || config.thresholds || config.unit) ({ text, color: shade } = display(value, config));
    else text = value === null ? "" : typeof value === "number" ? number(value) : String(value);
    const cell = el("td", {}, text);
    if (config.cell === "color-background" && shade) {
      cell.style.background = shade;
      cell.classList.add("coloured");
    }
    return cell;
  })));
  body.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
  return { value: frame.rows.length, text: "" };
}

function drawTrend(body, panel, frame) {
  const times = column(frame, "time");
  const names = column(frame, "series");
  const values = column(frame, "value");
  if (!times || !times.length) return noValue(body, panel);
  const config = defaults(panel);
  const xs = [...new Set(times)].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const series = new Map();
  times.forEach((time, i) => {
    const name = names ? String(names[i]) : panel.title;
    if (!series.has(name)) series.set(name, new Array(xs.length).fill(null));
    series.get(name)[at.get(time)] = values[i];
  });
  const entries = [...series.entries()];
  const steps = (config.custom && config.custom.thresholdsStyle && config.custom.thresholdsStyle.mode === "line")
    ? ((config.thresholds && config.thresholds.steps) || []).filter((s) => s.value !== null) : [];
  const box = body.getBoundingClientRect();
  body.replaceChildren();
  body.classList.toggle("many-series", entries.length > 8);
  const format = (v) => (v === null || v === undefined ? "" : withUnit(v, config.unit, config.decimals));
  const chart = new uPlot({
    width: Math.max(200, box.width), height: Math.max(120, box.height - 34),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), TZ),
    legend: { live: false },
    cursor: { show: false },
    // The x axis spans the dashboard's range (now-6h to now), as in Grafana, however little data there is.
    scales: { x: { time: true, range: () => [Date.now() / 1000 - rangeSeconds(VIEW.range), Date.now() / 1000] } },
    axes: [
      { stroke: "#9fa7b3", grid: { stroke: "#2c3235" }, ticks: { stroke: "#2c3235" }, space: 90,
        values: (u, splits) => splits.map((s) => hourMinute.format(new Date(s * 1000))) },
      { stroke: "#9fa7b3", grid: { stroke: "#2c3235" }, ticks: { stroke: "#2c3235" }, size: 90,
        values: (u, splits) => splits.map(format) },
    ],
    series: [{}, ...entries.map(([name], i) => ({
      label: name, stroke: SERIES_COLORS[i % SERIES_COLORS.length], width: (config.custom && config.custom.lineWidth) || 2,
      fill: SERIES_COLORS[i % SERIES_COLORS.length] + "1a", spanGaps: false, value: (u, v) => format(v),
    }))],
    hooks: { draw: [(u) => {
      const ctx = u.ctx;
      for (const step of steps) {
        const y = u.valToPos(step.value, "y", true);
        if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
        ctx.save();
        ctx.strokeStyle = color(step.color);
        ctx.setLineDash([8, 6]);
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, y);
        ctx.lineTo(u.bbox.left + u.bbox.width, y);
        ctx.stroke();
        ctx.restore();
      }
    }] },
  }, [xs.map((x) => x / 1000), ...entries.map(([, ys]) => ys)], body);
  // The legend wraps when there are many series: the plot gives it the room it takes.
  const legend = chart.root.querySelector(".u-legend");
  const room = Math.max(120, box.height - (legend ? legend.offsetHeight : 0) - 6);
  chart.setSize({ width: Math.max(200, box.width), height: room });
  body.chart = chart;
  return { value: xs.length, text: "" };
}

function rangeSeconds(from) {
  const match = /^now-(\d+)([smhdw])$/.exec(from || "now-6h");
  return match ? Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[match[2]] : 6 * 3600;
}

let AREAS = null;

function drawMap(body, panel, frame) {
  const config = defaults(panel);
  const layer = panel.options.layers[0];
  const field = layer.config.style.color.field;
  const location = layer.location || {};
  const lats = column(frame, location.latitude || "latitude") || [];
  const lons = column(frame, location.longitude || "longitude") || [];
  const levels = column(frame, field) || [];
  const labels = column(frame, "name") || [];
  const corners = [...(AREAS || []).flatMap((a) => a.outline), ...lons.map((lon, i) => [lon, lats[i]])];
  if (!corners.length) return noValue(body, panel);
  const lat0 = corners.reduce((s, c) => s + c[1], 0) / corners.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const project = ([lon, lat]) => [lon * k * 1000, -lat * 1000];
  const xs = corners.map((c) => project(c)[0]);
  const ys = corners.map((c) => project(c)[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = Math.max(x1 - x0, y1 - y0) * 0.03;
  const map = svg("svg", { viewBox: `${x0 - pad} ${y0 - pad} ${x1 - x0 + 2 * pad} ${y1 - y0 + 2 * pad}`,
    preserveAspectRatio: "xMidYMid meet", class: "map" });
  const unit = Math.max(x1 - x0, y1 - y0) / 300;
  for (const area of AREAS || []) {
    const points = area.outline.map((c) => project(c).join(",")).join(" ");
    const shape = svg("polygon", { points, class: "area" });
    shape.append(Object.assign(svg("title"), { textContent: area.name }));
    map.append(shape);
  }
  lats.forEach((lat, i) => {
    const [x, y] = project([lons[i], lat]);
    const shown = display(levels[i], config);
    const dot = svg("circle", { cx: x, cy: y, r: unit * 2.6, fill: shown.color || GREY, class: "marker",
      "data-level": levels[i] === null ? "" : String(levels[i]), "data-name": String(labels[i] || "") });
    dot.append(Object.assign(svg("title"), { textContent: `${labels[i] || ""}: ${shown.text}` }));
    map.append(dot);
  });
  const legend = el("div", { className: "legend" });
  for (const mapping of config.mappings || []) {
    if (mapping.type !== "value") continue;
    for (const result of Object.entries(mapping.options).sort((a, b) => Number(a[0]) - Number(b[0])).map((e) => e[1])) {
      legend.append(el("div", {}, el("span", { className: "swatch", style: { background: color(result.color) } }), result.text));
    }
  }
  body.replaceChildren(map, legend);
  return { value: lats.length, text: "" };
}

const DRAW = { stat: drawStat, bargauge: drawBars, table: drawTable, timeseries: drawTrend, geomap: drawMap };

// ---- the dashboard page ----

function gridFor(dashboard, single) {
  const panels = dashboard.panels.filter((p) => DRAW[p.type] && (single === null || p.id === single));
  const rows = single === null ? Math.max(...panels.map((p) => p.gridPos.y + p.gridPos.h)) : 1;
  const grid = el("div", { className: "grid" });
  const header = 56;
  const gap = 8;
  // Grafana's grid is 24 columns of 30-pixel rows; here the rows stretch to fill the screen's height.
  const row = single === null ? Math.max(18, (window.innerHeight - header - gap * rows) / rows) : window.innerHeight - header - 2 * gap;
  grid.style.gridAutoRows = `${row}px`;
  const sections = panels.map((panel) => {
    const pos = panel.gridPos;
    const section = el("section", { className: `panel type-${panel.type}`, "data-panel-id": String(panel.id),
      "data-type": panel.type, "data-title": panel.title || "", "data-state": "loading" },
      el("h2", { title: panel.description || "" }, panel.title || ""), el("div", { className: "body" }));
    if (single === null) {
      section.style.gridColumn = `${pos.x + 1} / span ${pos.w}`;
      section.style.gridRow = `${pos.y + 1} / span ${pos.h}`;
    } else {
      section.style.gridColumn = "1 / -1";
    }
    grid.append(section);
    return [panel, section];
  });
  return { grid, sections };
}

async function refreshPanel(uid, panel, section) {
  const body = section.querySelector(".body");
  let frame;
  try {
    const response = await fetch(`api/panels/${encodeURIComponent(uid)}/${panel.id}`, { cache: "no-store" });
    frame = await response.json();
    if (!response.ok) throw new Error(frame.error || frame.detail || `HTTP ${response.status}`);
  } catch (error) {
    section.dataset.state = "error";
    section.dataset.error = String(error.message || error);
    section.style.background = "";
    body.replaceChildren(el("div", { className: "error" }, "⚠ Lỗi truy vấn", el("small", {}, section.dataset.error)));
    return;
  }
  const shown = DRAW[panel.type](body, panel, frame, section);
  section.dataset.state = "ok";
  delete section.dataset.error;
  section.dataset.value = shown.value === null || shown.value === undefined ? "" : String(shown.value);
  section.dataset.text = shown.text || "";
  section.dataset.rows = String(frame.rows.length);
}

let generation = 0;

async function showDashboard(uid) {
  const mine = ++generation;
  document.body.dataset.ready = "0";
  const dashboard = await (await fetch(`api/dashboards/${encodeURIComponent(uid)}`)).json();
  if (dashboard.panels.some((p) => p.type === "geomap") && AREAS === null) {
    AREAS = await (await fetch("api/areas")).json();
  }
  VIEW.range = dashboard.time && dashboard.time.from;
  const { grid, sections } = gridFor(dashboard, VIEW.panel);
  const stamp = el("span", { className: "stamp" });
  const title = VIEW.screen ? `Màn hình ${VIEW.screen} · ${dashboard.title}` : dashboard.title;
  const header = el("header", {}, el("h1", {}, title), stamp);
  document.getElementById("wall").replaceChildren(header, grid);
  document.title = title;
  const every = parseInt(dashboard.refresh, 10) * (dashboard.refresh.endsWith("m") ? 60 : 1) || 10;
  let rounds = 0;
  while (mine === generation) {
    await Promise.all(sections.map(([panel, section]) => refreshPanel(uid, panel, section)));
    if (mine !== generation) return;
    rounds += 1;
    stamp.textContent = `Cập nhật lúc ${clockFormat.format(new Date())} (giờ Việt Nam)`;
    document.body.dataset.refreshes = String(rounds);
    document.body.dataset.ready = "1";
    await new Promise((resolve) => setTimeout(resolve, every * 1000));
  }
}

function showRotation() {
  let index = 0;
  showDashboard(VIEW.uids[0]);
  if (VIEW.uids.length > 1 && VIEW.rotate_s > 0) {
    setInterval(() => {
      index = (index + 1) % VIEW.uids.length;
      showDashboard(VIEW.uids[index]);
    }, VIEW.rotate_s * 1000);
  }
}

// ---- the 27-screen layout ----

function showLayout() {
  const live = new URLSearchParams(location.search).has("live");
  const grid = el("div", { className: "layout", style: { gridTemplateColumns: `repeat(${VIEW.columns}, 1fr)` } });
  for (const tile of VIEW.tiles) {
    const what = tile.playlist ? `Luân phiên: ${tile.name}` : tile.panel_title ? `${tile.name} · ${tile.panel_title}` : tile.name;
    const link = el("a", { href: `screen/${tile.screen}`, className: `tile${[4, 5, 6].includes(tile.column) ? " centre" : ""}`,
      "data-screen": String(tile.screen) }, el("b", {}, String(tile.screen)), el("span", {}, what));
    if (live) link.append(el("iframe", { src: `screen/${tile.screen}`, loading: "lazy", tabIndex: -1 }));
    grid.append(link);
  }
  const header = el("header", {}, el("h1", {}, "Tường màn hình IOC · 27 màn hình"),
    el("a", { href: live ? "./" : "?live", className: "stamp" }, live ? "Tắt xem trực tiếp" : "Xem trực tiếp cả tường"));
  document.getElementById("wall").replaceChildren(header, grid);
  document.body.classList.add("layout-page");
  document.body.dataset.ready = "1";
}

if (VIEW.mode === "layout") showLayout();
else showRotation();
