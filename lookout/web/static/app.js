// Lookout's live picture on a CesiumJS globe. Everything comes from this page's own server:
// /api/meta (scenario, sensors), /api/log (a view's log so far) and /api/stream (the rest, as
// server-sent events). The log is kept whole, so the time slider can draw any instant of it:
// the live page follows the newest instant, a replay starts at the first.
"use strict";

const L = (window.lookout = {
  ready: false, rendered: false, errors: [], stats: { latency_ms: [], batches: 0, entries: 0 },
});
window.addEventListener("error", (e) => L.errors.push(String(e.message || e)));

const CLASS_COLOUR = {
  SRBM: "#ffd400", MRBM: "#ff8c00", IRBM: "#ff3b3b", ICBM: "#d65cff", SLV: "#40c8ff",
  orbital: "#40c8ff", "spent stage": "#9e9e9e", debris: "#757575",
};
const UNKNOWN_COLOUR = "#e6e6e6";
const PHASES = ["boost", "coast", "reentry"];
const PARTNER_COLOURS = ["#4fc3f7", "#aed581", "#ffb74d", "#ba68c8", "#f06292", "#90a4ae"];
const STATE_COLOUR = { shelter: "#ff3b3b", monitor: "#ffd166", all_clear: "#7bd88f", passed: "#888888" };

const $ = (id) => document.getElementById(id);
const fmt = (x, d = 0) => (x === null || x === undefined || !isFinite(x) ? "–" : x.toFixed(d));

// ---------------------------------------------------------------------------------------------
// The model: every track's samples and assessments, alerts, events; and the time drawn.

let meta = null;
let model = null;
const clock = { t: 0, follow: true, playing: false, speed: 10, last: 0 };
let selected = null;
let source = null;
let pendingLatency = [];

function newModel() {
  return { tracks: new Map(), alerts: new Map(), events: [], tStart: Infinity, tEnd: -Infinity,
           cursor: 0 };  // prettier-ignore
}

function track(id) {
  let tr = model.tracks.get(id);
  if (!tr) {
    tr = { id, t: [], p: [], ph: [], a: [], partners: [], ents: null };
    model.tracks.set(id, tr);
  }
  return tr;
}

// ``live``: the entries came on the stream, as they were appended: their latency is measured
// (from the server's append to the next render that shows them).
function apply(entries, live) {
  const now = Date.now();
  for (const e of entries) {
    if (e.t !== undefined && e.t !== null && isFinite(e.t)) {
      model.tStart = Math.min(model.tStart, e.t);
      if (e.k !== "e" && e.k !== "w") model.tEnd = Math.max(model.tEnd, e.t);
    }
    switch (e.k) {
      case "s": {
        const tr = track(e.id);
        // In time order, as trackAt's search needs: a view's samples can come out of order (a
        // fused update released to a partner after a newer one of the same track).
        let i = tr.t.length;
        while (i > 0 && tr.t[i - 1] > e.t) i--;
        tr.t.splice(i, 0, e.t); tr.p.splice(i, 0, e.p); tr.ph.splice(i, 0, e.ph);
        if (live && e.w) pendingLatency.push(now - e.w);
        break;
      }
      case "a": {
        const tr = track(e.id);
        let i = tr.a.length;
        while (i > 0 && tr.a[i - 1].t > e.t) i--;
        tr.a.splice(i, 0, e.a);
        break;
      }
      case "p": track(e.id).partners.push([e.t, e.partners]); break;
      case "e": model.events.push(e); break;
      case "w": model.alerts.set(e.alert.identifier, Object.assign({ t: e.t }, e.alert)); break;
      default: break;
    }
  }
  L.stats.entries += entries.length;
}

// Times are seconds made from whole nanoseconds, so one instant can come as 230 s (the slider,
// a person) and as 230.00000000000003 s (an entry): within a nanosecond is the same instant.
const SAME_INSTANT_S = 1e-9;

// The last index i with arr[i] at or before t (to the nanosecond), or -1.
function upTo(arr, t, key) {
  const until = t + SAME_INSTANT_S;
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((key !== undefined ? arr[mid][key] : arr[mid]) <= until) lo = mid + 1; else hi = mid;
  }
  return lo - 1;
}

// What a track is at time t: null when not (or no longer) in the picture.
function trackAt(tr, t) {
  const i = upTo(tr.t, t);
  if (i < 0 || t - tr.t[i] > meta.stale_s + 1e-6) return null;
  const ai = upTo(tr.a, t, "t");
  const pi = upTo(tr.partners, t, 0);
  return { i, a: ai >= 0 ? tr.a[ai] : null, partners: pi >= 0 ? tr.partners[pi][1] : [] };
}

function classOf(a) {
  if (!a) return null;
  return a.label || a.class || (a.orbital ? "orbital" : null);
}

// ---------------------------------------------------------------------------------------------
// The globe.

const viewer = new Cesium.Viewer("globe", {
  baseLayer: Cesium.ImageryLayer.fromProviderAsync(
    Cesium.TileMapServiceImageryProvider.fromUrl(Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"))
  ),
  baseLayerPicker: false, geocoder: false, homeButton: false, sceneModePicker: false,
  navigationHelpButton: false, animation: false, timeline: false, fullscreenButton: false,
  infoBox: false, selectionIndicator: true, skyBox: false, scene3DOnly: true,
  requestRenderMode: true, maximumRenderTimeChange: Infinity, msaaSamples: 1,
  contextOptions: { webgl: { antialias: false, preserveDrawingBuffer: true } },
});
viewer.scene.globe.maximumScreenSpaceError = 4;
viewer.scene.fog.enabled = false;
viewer.scene.globe.enableLighting = false;
viewer.scene.skyAtmosphere.show = true;
viewer.scene.postRender.addEventListener(() => {
  if (!L.rendered && viewer.scene.globe.tilesLoaded && meta) {
    L.rendered = true;
    L.firstRenderMs = performance.now();
  }
  if (pendingLatency.length) {
    const done = pendingLatency;
    pendingLatency = [];
    const arr = L.stats.latency_ms;
    for (const x of done) arr.push(x);
    if (arr.length > 200000) arr.splice(0, arr.length - 100000);
  }
});

const C3 = (p) => new Cesium.Cartesian3(p[0], p[1], p[2]);
const colour = (css, alpha = 1) => Cesium.Color.fromCssColorString(css).withAlpha(alpha);
const degPositions = (pts, h = 0) => pts.map((q) => Cesium.Cartesian3.fromDegrees(q[1], q[0], h));

function material(cls, phase) {
  const c = colour(CLASS_COLOUR[cls] || UNKNOWN_COLOUR);
  if (phase === 0) return new Cesium.PolylineGlowMaterialProperty({ color: c, glowPower: 0.25 });
  if (phase === 2) return new Cesium.PolylineDashMaterialProperty({ color: c, dashLength: 12 });
  if (phase === 1) return new Cesium.ColorMaterialProperty(c);
  return new Cesium.ColorMaterialProperty(c.withAlpha(0.6));
}

// A polyline whose points are set by drawing (``e.pts``): a callback property makes Cesium draw
// it synchronously with its polyline collection, instead of rebuilding static geometry in its
// workers at every change.
function dynLine(options) {
  const holder = { pts: [] };
  const e = viewer.entities.add({ polyline: Object.assign({
    positions: new Cesium.CallbackProperty(() => holder.pts, false) }, options) });
  e.holder = holder;
  return e;
}
function setPts(e, pts) { e.holder.pts = pts; }

function entitiesOf(tr) {
  if (tr.ents) return tr.ents;
  const E = viewer.entities;
  const ents = {
    point: E.add({
      id: "track:" + tr.id,
      point: { pixelSize: 9, color: Cesium.Color.WHITE, outlineColor: Cesium.Color.BLACK, outlineWidth: 2 },
    }),
    drop: dynLine({ width: 1, material: colour("#ffffff", 0.35), arcType: Cesium.ArcType.NONE }),
    trail: [],
    path: dynLine({ width: 2, arcType: Cesium.ArcType.NONE,
                    material: new Cesium.PolylineDashMaterialProperty({ color: colour("#ffffff", 0.7), dashLength: 8 }) }),
    impact: E.add({
      id: "impact:" + tr.id,
      point: { pixelSize: 7, color: Cesium.Color.WHITE, outlineColor: Cesium.Color.RED, outlineWidth: 2 },
    }),
    impactEllipse: dynLine({ width: 2, material: colour("#ff5050"), arcType: Cesium.ArcType.GEODESIC }),
    launch: E.add({ point: { pixelSize: 6, color: colour("#ffffff"), outlineColor: colour("#ffd400"), outlineWidth: 2 } }),
    launchEllipse: dynLine({ width: 1.5, material: colour("#ffd400"), arcType: Cesium.ArcType.GEODESIC }),
  };
  for (const k of ["point", "impact"]) ents[k].lookoutTrack = tr.id;
  tr.ents = ents;
  return ents;
}

function show(ent, on) { if (ent.show !== on) ent.show = on; }

function drawTrack(tr, t) {
  const s = trackAt(tr, t);
  const ents = entitiesOf(tr);
  if (!s) {
    for (const k of ["point", "drop", "path", "impact", "impactEllipse", "launch", "launchEllipse"]) show(ents[k], false);
    for (const e of ents.trail) show(e, false);
    return null;
  }
  const a = s.a;
  const cls = classOf(a);
  const css = CLASS_COLOUR[cls] || UNKNOWN_COLOUR;
  const pos = C3(tr.p[s.i]);
  const carto = Cesium.Cartographic.fromCartesian(pos);
  ents.point.position = pos;
  ents.point.point.color = colour(css);
  const announced = a && a.announced && a.announced.length ? " announced" : "";
  const label = [`${tr.id}${cls ? " " + cls : ""}${announced}`, `${fmt(carto.height / 1e3)} km`];
  show(ents.point, true);
  setPts(ents.drop, [pos, Cesium.Cartesian3.fromRadians(carto.longitude, carto.latitude, 0)]);
  show(ents.drop, true);
  // The trail: one polyline per run of one phase, styled by phase, coloured by class.
  const runs = [];
  let start = 0;
  for (let j = 1; j <= s.i + 1; j++) {
    if (j === s.i + 1 || tr.ph[j] !== tr.ph[start]) {
      runs.push([start, Math.min(j, s.i), tr.ph[start]]);
      start = j;
    }
  }
  runs.forEach(([i0, i1, ph], k) => {
    let e = ents.trail[k];
    if (!e) {
      e = dynLine({ width: 3, arcType: Cesium.ArcType.NONE });
      ents.trail.push(e);
    }
    const pts = [];
    for (let j = i0; j <= i1; j++) pts.push(C3(tr.p[j]));
    if (i1 + 1 <= s.i) pts.push(C3(tr.p[i1 + 1]));  // joined to the next run
    setPts(e, pts);
    const key = cls + ":" + ph;
    if (e._key !== key) { e.polyline.material = material(cls, ph); e.polyline.width = ph === 0 ? 7 : 3; e._key = key; }
    show(e, pts.length > 1);
  });
  for (let k = runs.length; k < ents.trail.length; k++) show(ents.trail[k], false);
  // Prediction: path to impact, impact point with its 95% ellipse and countdown; launch point.
  const imp = a && a.impact;
  let impact = null;
  if (imp) {
    const impPos = Cesium.Cartesian3.fromDegrees(imp.lon_deg, imp.lat_deg, 0);
    ents.impact.position = impPos;
    const toGo = imp.t !== null && !imp.iip ? imp.t - t : null;
    impact = { key: "impact:" + tr.id, id: tr.id, pos: impPos,
               text: [imp.iip ? `${tr.id} IIP` : `${tr.id} impact`, toGo !== null ? `T−${fmt(Math.max(toGo, 0))} s` : ""] };
    ents.impact.point.outlineColor = colour(imp.iip ? "#ffaa00" : "#ff3030");
    show(ents.impact, true);
    setPts(ents.impactEllipse, degPositions(imp.ellipse));
    show(ents.impactEllipse, imp.ellipse.length > 2);
  } else {
    show(ents.impact, false); show(ents.impactEllipse, false);
  }
  if (a && a.path && imp && !imp.iip) {
    setPts(ents.path, [pos].concat(pathFrom(a.path, t, a.t, tr, s.i)));
    if (ents.path._css !== css) {
      ents.path.polyline.material = new Cesium.PolylineDashMaterialProperty({ color: colour(css, 0.8), dashLength: 10 });
      ents.path._css = css;
    }
    show(ents.path, true);
  } else show(ents.path, false);
  const la = a && a.launch;
  if (la) {
    ents.launch.position = Cesium.Cartesian3.fromDegrees(la.lon_deg, la.lat_deg, 0);
    show(ents.launch, true);
    setPts(ents.launchEllipse, degPositions(la.ellipse));
    show(ents.launchEllipse, la.ellipse.length > 2);
  } else {
    show(ents.launch, false); show(ents.launchEllipse, false);
  }
  return { id: tr.id, s, a, cls, carto, pos, ents, label, impact };
}

// The predicted path's points still ahead of the object: those farther from the assessment's
// start than the object has come since.
function pathFrom(flat, t, t0, tr, i) {
  const out = [];
  const start = new Cesium.Cartesian3(flat[0], flat[1], flat[2]);
  const here = C3(tr.p[i]);
  const gone = Cesium.Cartesian3.distance(start, here);
  for (let j = 0; j < flat.length; j += 3) {
    const q = new Cesium.Cartesian3(flat[j], flat[j + 1], flat[j + 2]);
    if (Cesium.Cartesian3.distance(start, q) > gone) out.push(q);
  }
  return out;
}

// Labels are HTML over the globe (crisp, and never waiting for glyphs in Cesium's atlas), placed
// at every render. Labels within a few pixels of an earlier one are folded into it
// ("S1 (+S2 S5)").
const toWindow = Cesium.SceneTransforms.worldToWindowCoordinates || Cesium.SceneTransforms.wgs84ToWindowCoordinates;
const labelLayer = document.createElement("div");
labelLayer.id = "labels";
$("globe").appendChild(labelLayer);
const labels = new Map();  // key -> {div, pos, on}

function setLabel(key, pos, text, cls) {
  let l = labels.get(key);
  if (!l) {
    l = { div: document.createElement("div"), pos: null, on: false, text: null };
    l.div.className = "label " + (cls || "");
    labelLayer.appendChild(l.div);
    labels.set(key, l);
  }
  l.pos = pos;
  l.on = true;
  if (l.text !== text) { l.div.textContent = text; l.text = text; }
}
function hideLabel(key) {
  const l = labels.get(key);
  if (l && l.on) { l.on = false; l.div.style.display = "none"; }
}
function placeLabels() {
  const occ = new Cesium.EllipsoidalOccluder(Cesium.Ellipsoid.WGS84, viewer.camera.positionWC);
  const w = labelLayer.clientWidth, h = labelLayer.clientHeight;
  for (const l of labels.values()) {
    if (!l.on) continue;
    const xy = occ.isPointVisible(l.pos) ? toWindow(viewer.scene, l.pos) : undefined;
    if (!xy || xy.x < 0 || xy.y < 0 || xy.x > w || xy.y > h) { l.div.style.display = "none"; continue; }
    l.div.style.display = "";
    l.div.style.transform = `translate(${Math.round(xy.x)}px, ${Math.round(xy.y)}px)`;
  }
}
viewer.scene.postRender.addEventListener(placeLabels);

function declutter(items, cls) {
  const kept = [];
  for (const it of items) {
    const xy = toWindow(viewer.scene, it.pos);
    const near = xy && kept.find((k) => k.xy && Math.abs(k.xy.x - xy.x) < 40 && Math.abs(k.xy.y - xy.y) < 24);
    if (near) {
      near.others.push(it.id);
      hideLabel(it.key);
    } else kept.push({ it, xy, others: [] });
  }
  for (const { it, others } of kept) {
    const [first, second] = it.text;
    setLabel(it.key, it.pos, first + (others.length ? ` (+${others.join(" ")})` : "") + (second ? "\n" + second : ""), cls);
  }
}

// Sensors and coverage, per partner colour; warned areas by state.
let sensorEnts = [];
function drawSensors() {
  for (const e of sensorEnts) viewer.entities.remove(e);
  sensorEnts = [];
  for (const [k, l] of labels) { l.div.remove(); labels.delete(k); }
  const partners = [...new Set(meta.sensors.map((s) => s.partner))];
  for (const s of meta.sensors) {
    const css = PARTNER_COLOURS[partners.indexOf(s.partner) % PARTNER_COLOURS.length];
    const h = s.type === "radar" ? 0 : s.alt_km * 1e3;
    sensorEnts.push(viewer.entities.add({
      id: "sensor:" + s.id,
      position: Cesium.Cartesian3.fromDegrees(s.lon_deg, s.lat_deg, h),
      point: { pixelSize: 6, color: colour(css), outlineColor: Cesium.Color.BLACK, outlineWidth: 1 },
    }));
    setLabel("sensor:" + s.id, Cesium.Cartesian3.fromDegrees(s.lon_deg, s.lat_deg, h), s.id, "sensor");
    labels.get("sensor:" + s.id).div.style.color = css;
    sensorEnts.push(viewer.entities.add({
      polyline: { positions: degPositions(s.coverage), width: 1, material: colour(css, 0.55), arcType: Cesium.ArcType.GEODESIC },
    }));
  }
  const legend = partners.map((p, i) => `<span class="swatch" style="background:${PARTNER_COLOURS[i]}"></span>${p}`).join(" ");
  const classes = Object.entries(CLASS_COLOUR).map(([k, v]) => `<span class="swatch" style="background:${v}"></span>${k}`).join(" ");
  $("legend").innerHTML = `Sensors and coverage: ${legend}<br>Tracks by class: ${classes}; ` +
    "trail glow = boost, solid = coast, dashed = reentry; dashed white = predicted path; " +
    "red ring = 95% impact ellipse; yellow ring = launch point ellipse; violet: a partner's launch notice " +
    "(launch area, dashed azimuth sector, filled hazard areas), \"announced\" on a track that matches one. " +
    "Heights in km above the WGS84 ellipsoid.";
}

// The partners' pre-launch notifications the view holds, each from when it was issued: its
// launch area, its azimuth sector (dashed) and its hazard areas (filled), in violet.
const NOTICE_COLOUR = "#c39bff";
let noticeEnts = [];
function drawNotices() {
  for (const x of noticeEnts) for (const e of x.ents) viewer.entities.remove(e);
  noticeEnts = [];
  const line = (pts, width, material) =>
    viewer.entities.add({ polyline: { positions: degPositions(pts), width, material, arcType: Cesium.ArcType.GEODESIC } });
  for (const n of meta.notices || []) {
    const ents = [line(n.site.outline, 2, colour(NOTICE_COLOUR)),
                  line(n.sector.outline, 1, new Cesium.PolylineDashMaterialProperty({ color: colour(NOTICE_COLOUR, 0.8), dashLength: 10 }))];
    const hazards = [];
    for (const h of n.hazards) {
      ents.push(viewer.entities.add({ polygon: { hierarchy: degPositions(h.outline), height: 0, outline: false,
                                                 material: colour(NOTICE_COLOUR, 0.25) } }));  // prettier-ignore
      ents.push(line(h.outline, 1, colour(NOTICE_COLOUR, 0.9)));
      const k = h.outline.length - 1;  // closed: the last corner is the first
      const mid = h.outline.slice(0, k).reduce((m, q) => [m[0] + q[0] / k, m[1] + q[1] / k], [0, 0]);
      hazards.push({ pos: Cesium.Cartesian3.fromDegrees(mid[1], mid[0], 0), text: h.stage || "hazard area" });
    }
    noticeEnts.push({ n, ents, hazards });
  }
}
let noticesShown = [];
function drawNoticesAt(t) {
  noticesShown = [];
  for (const { n, ents, hazards } of noticeEnts) {
    const on = n.issued_s <= t + SAME_INSTANT_S;
    for (const e of ents) show(e, on);
    const key = "notice:" + n.id;
    if (on) {
      noticesShown.push(n.id);
      setLabel(key, Cesium.Cartesian3.fromDegrees(n.site.lon_deg, n.site.lat_deg, 0),
               `${n.partner} notice ${n.notice_id} (${n.kind.replace("_", " ")})`, "notice");  // prettier-ignore
    } else hideLabel(key);
    hazards.forEach((h, i) => (on ? setLabel(`${key}:${i}`, h.pos, `${n.partner} ${h.text}`, "notice") : hideLabel(`${key}:${i}`)));
  }
}

const alertEnts = new Map();
function alertState(al, t) {
  if (al.expires && t >= (Date.parse(al.expires) - meta.epoch_ms) / 1e3) return "passed";
  return al.state === "passed" ? "shelter" : al.state;
}
function drawAlerts(t) {
  const superseded = new Set();
  for (const al of model.alerts.values()) if (al.t <= t + SAME_INSTANT_S) for (const r of al.references) superseded.add(r);
  const list = [];
  for (const al of model.alerts.values()) {
    let ents = alertEnts.get(al.identifier);
    if (!ents) {
      ents = [];
      for (const area of al.areas) for (const poly of area.polygons) {
        ents.push(viewer.entities.add({ polygon: { hierarchy: degPositions(poly), height: 0, outline: false,
                                                   material: colour("#ff3b3b", 0.3) } }));  // prettier-ignore
      }
      alertEnts.set(al.identifier, ents);
    }
    const on = al.t <= t + SAME_INSTANT_S && !superseded.has(al.identifier);
    const st = alertState(al, t);
    for (const e of ents) {
      show(e, on);
      if (on && e._state !== st) { e.polygon.material = colour(STATE_COLOUR[st] || "#888", 0.3); e._state = st; }
    }
    if (on) list.push([al, st]);
  }
  $("alert-count").textContent = list.length ? `(${list.length})` : "";
  $("alerts").innerHTML = list.map(([al, st]) => `<li class="${st}"><b>${st.replace("_", " ")}</b>: ` +
    `${esc(al.headline || al.event)} <span class="dim">(${esc(al.sender)}, ${al.msg_type}, ` +
    `${esc(al.areas.map((a) => a.desc).join("; "))})</span></li>`).join("") || '<li class="dim">none</li>';
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// ---------------------------------------------------------------------------------------------
// Drawing one instant: the globe, the panel, the clock.

let drawn = [];
function draw() {
  if (!meta) return;
  const t = clock.t;
  drawn = [];
  for (const tr of model.tracks.values()) {
    const d = drawTrack(tr, t);
    if (d) drawn.push(d);
  }
  drawn.sort((x, y) => order(x.id) - order(y.id) || (x.id < y.id ? -1 : 1));
  for (const tr of model.tracks.values()) { hideLabel("track:" + tr.id); hideLabel("impact:" + tr.id); }
  declutter(drawn.map((d) => ({ key: "track:" + d.id, id: d.id, pos: d.pos, text: d.label })), "track");
  declutter(drawn.filter((d) => d.impact).map((d) => d.impact), "impact");
  drawAlerts(t);
  drawNoticesAt(t);
  drawPanel(t);
  renderSoon();
}

// Labels' glyphs and static geometry (coverage, warned areas) finish asynchronously: render a
// few more times after a change (the scene only renders when asked).
let settle = 0;
function renderSoon() {
  viewer.scene.requestRender();
  if (settle === 0) setTimeout(settleTick, 150);
  settle = 12;
}
function settleTick() {
  viewer.scene.requestRender();
  if (--settle > 0) setTimeout(settleTick, 250);
}

function order(id) { const n = parseInt(id.replace(/^\D+/, ""), 10); return isFinite(n) ? n : 1e9; }

function utcText(t) {
  const d = new Date(meta.epoch_ms + t * 1e3);
  return d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}
function localText(t) {
  const d = new Date(meta.epoch_ms + t * 1e3);
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "local";
  return d.toLocaleString(undefined, { hour12: false }) + " " + tz;
}
function hms(t) { return new Date(meta.epoch_ms + t * 1e3).toISOString().slice(11, 19) + "Z"; }

function drawPanel(t) {
  $("utc").textContent = utcText(t);
  $("local").textContent = localText(t);
  $("tsim").textContent = `T+${fmt(t, 1)} s from the scenario epoch`;
  $("mode").textContent = clock.follow && meta.mode === "live" && !meta.done ? "LIVE" : meta.mode === "replay" ? "REPLAY" : "";
  $("live").classList.toggle("on", clock.follow);
  $("count").textContent = `(${drawn.length})`;
  const rows = drawn.map((d) => {
    const a = d.a || {};
    const imp = a.impact;
    const toGo = imp && !imp.iip && imp.t !== null ? `${fmt(Math.max(imp.t - t, 0))} s` : imp && imp.iip ? "IIP" : "–";
    const css = CLASS_COLOUR[d.cls] || UNKNOWN_COLOUR;
    return `<tr data-track="${esc(d.id)}" class="${d.id === selected ? "selected" : ""}">` +
      `<td><span class="swatch" style="background:${css}"></span>${esc(d.id)}</td><td>${d.cls || "–"}</td>` +
      `<td>${a.phase || "–"}</td><td>${fmt(a.apogee_km)}</td><td>${fmt(a.range_km)}</td>` +
      `<td>${fmt(a.equivalent_range_km)}</td><td>${toGo}</td><td>${esc(d.s.partners.join(" "))}</td>` +
      `<td>${esc((a.overflown || []).join(" ")) || "–"}</td></tr>`;
  });
  $("tracks").tBodies[0].innerHTML = rows.join("") || '<tr><td colspan="9" class="dim">no track in the picture</td></tr>';
  drawDetails(t);
  const ev = [];
  for (let i = model.events.length - 1; i >= 0 && ev.length < 200; i--) {
    const e = model.events[i];
    if (e.t <= t + SAME_INSTANT_S) ev.push(`<li class="${e.kind === "alert" ? "alert" : ""}"><span class="t">${hms(e.t)}</span>${esc(e.text)}</li>`);
  }
  $("timeline").innerHTML = ev.join("") || '<li class="dim">nothing yet</li>';
  const sl = $("slider");
  if (isFinite(model.tStart) && isFinite(model.tEnd)) {
    sl.min = String(model.tStart); sl.max = String(Math.max(model.tEnd, model.tStart + 1));
    if (document.activeElement !== sl) sl.value = String(t);
  }
}

function drawDetails(t) {
  const box = $("details");
  const d = drawn.find((x) => x.id === selected);
  if (!d) { box.hidden = true; return; }
  box.hidden = false;
  const a = d.a || {};
  const rows = [
    ["position", `${fmt(Cesium.Math.toDegrees(d.carto.latitude), 3)}°, ${fmt(Cesium.Math.toDegrees(d.carto.longitude), 3)}°, ` +
                 `${fmt(d.carto.height / 1e3, 1)} km altitude`],
    ["class", d.cls || "not yet assessed"],
    ["launch event", a.event ? `${a.event}${a.object ? " · " + a.object.replace("_", " ") : ""}` : "–"],
    ["phase", a.phase || "–"],
    ["apogee", a.apogee_km !== undefined ? `${fmt(a.apogee_km)} km` : "–"],
    ["range", a.range_km !== undefined ? `${fmt(a.range_km)} km` : "–"],
    ["equivalent range", a.equivalent_range_km !== undefined ? `${fmt(a.equivalent_range_km)} km` : "–"],
    ["partners", d.s.partners.join(", ")],
    ["overflies", (a.overflown || []).join(", ") || "–"],
    ["announced", (a.announced || []).map((n) => n.replace("/", " notice ")).join(", ") || "no notice matches"],
  ];
  if (a.launch) {
    rows.push(["launch point", `${fmt(a.launch.lat_deg, 3)}°, ${fmt(a.launch.lon_deg, 3)}°` +
      (a.launch.semi_major_km !== null ? ` (95% ellipse ${fmt(a.launch.semi_major_km, 1)} km)` : "")]);
    if (a.launch.t !== null) rows.push(["launch time", `${utcText(a.launch.t)} ±${fmt(a.launch.sigma_s, 1)} s`]);
  }
  if (a.impact) {
    const imp = a.impact;
    rows.push([imp.iip ? "instantaneous impact point" : "predicted impact",
      `${fmt(imp.lat_deg, 3)}°, ${fmt(imp.lon_deg, 3)}°` + (imp.semi_major_km !== null ?
      ` (95% ellipse ${fmt(imp.semi_major_km, 1)} × ${fmt(imp.semi_minor_km, 1)} km, axis ${fmt(imp.orientation_deg)}° from north)` : "")]);
    const shares = (imp.areas || []).map((s) => `${s.code || "high seas"} ${s.share < 0.01 ? "<1" : Math.round(100 * s.share)}%`);
    rows.push(["impact area", imp.area ? `${imp.area} (${imp.area_kind})` : (imp.area_kind === "high_seas" ? "high seas" :
      (shares.length ? `${shares.join(" or ")} (none holds 95% yet)` : "not yet known"))]);
    if (imp.t !== null && !imp.iip) {
      rows.push(["impact time", `${utcText(imp.t)} ±${fmt(imp.sigma_s, 1)} s`]);
      rows.push(["", localText(imp.t)]);
      rows.push(["time to impact", `${fmt(Math.max(imp.t - t, 0))} s`]);
    }
  }
  if (a.orbit) rows.push(["orbit", `${fmt(a.orbit.perigee_km)} × ${fmt(a.orbit.apogee_km)} km, ${fmt(a.orbit.inclination_deg, 1)}°, ${fmt(a.orbit.period_min, 1)} min`]);
  box.innerHTML = `<b>${esc(d.id)}</b> <span class="dim">assessed at ${a.t !== undefined ? hms(a.t) : "–"}</span><dl>` +
    rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("") + "</dl>";
}

function select(id) {
  selected = id;
  const tr = model.tracks.get(id);
  if (tr && tr.ents && viewer.selectedEntity !== tr.ents.point) viewer.selectedEntity = tr.ents.point;
  draw();
}

// ---------------------------------------------------------------------------------------------
// Loading a view and following it; the controls.

let drawQueued = false;
function queueDraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => { drawQueued = false; draw(); });
}

async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

async function load(view) {
  if (source) { source.close(); source = null; }
  for (const tr of model ? model.tracks.values() : []) if (tr.ents) {
    for (const e of Object.values(tr.ents)) for (const x of [].concat(e)) viewer.entities.remove(x);
  }
  for (const ents of alertEnts.values()) for (const e of ents) viewer.entities.remove(e);
  alertEnts.clear();
  model = newModel();
  selected = null;
  const q = view ? `?view=${encodeURIComponent(view)}` : "";
  meta = await getJSON(`/api/meta${q}`);
  document.title = `Lookout: ${meta.scenario} (${meta.view})`;
  $("title").textContent = meta.title;
  $("scenario").textContent = `${meta.scenario}`;
  $("view").innerHTML = meta.views.map((v) => `<option value="${esc(v.id)}"${v.id === meta.view ? " selected" : ""}>` +
    `${esc(v.id === "all" ? "common picture" : v.id + " (" + v.name + ")")}</option>`).join("");
  drawSensors();
  drawNotices();
  const log = await getJSON(`/api/log?view=${encodeURIComponent(meta.view)}&since=0`);
  apply(log.entries);
  model.cursor = log.next;
  meta.done = log.done;
  clock.follow = meta.mode === "live" && !meta.done;
  clock.t = clock.follow || !isFinite(model.tStart) ? Math.max(model.tEnd, 0) : meta.mode === "replay" ? model.tStart : model.tEnd;
  if (meta.mode === "live" && !meta.done) follow();
  centre();
  draw();
  L.view = meta.view;
  L.ready = true;
}

function follow() {
  source = new EventSource(`/api/stream?view=${encodeURIComponent(meta.view)}&since=${model.cursor}`);
  source.addEventListener("log", (ev) => {
    const msg = JSON.parse(ev.data);
    apply(msg.entries, true);
    model.cursor = msg.next;
    L.stats.batches++;
    if (msg.done) { meta.done = true; source.close(); source = null; }
    if (clock.follow) clock.t = model.tEnd;
    queueDraw();
  });
  source.onerror = () => {
    if (source && source.readyState === EventSource.CLOSED) { source = null; }
  };
}

function centre() {
  const ground = meta.sensors.filter((s) => s.type === "radar");
  const pts = ground.length ? ground : meta.sensors;
  if (!pts.length) return;
  const lat = pts.reduce((s, p) => s + p.lat_deg, 0) / pts.length;
  const lon = pts.reduce((s, p) => s + p.lon_deg, 0) / pts.length;
  viewer.camera.setView({ destination: Cesium.Cartesian3.fromDegrees(lon, lat - 12, 5.2e6),
                          orientation: { heading: 0, pitch: Cesium.Math.toRadians(-62), roll: 0 } });  // prettier-ignore
}

viewer.camera.moveEnd.addEventListener(() => queueDraw());

viewer.selectedEntityChanged.addEventListener((e) => {
  if (e && e.lookoutTrack && e.lookoutTrack !== selected) select(e.lookoutTrack);
});
$("tracks").addEventListener("click", (ev) => {
  const row = ev.target.closest("tr[data-track]");
  if (row) select(row.dataset.track);
});
$("view").addEventListener("change", (ev) => {
  const v = ev.target.value;
  history.replaceState(null, "", `?view=${encodeURIComponent(v)}`);
  load(v).catch(fail);
});
$("slider").addEventListener("input", (ev) => { setTime(parseFloat(ev.target.value)); });
$("play").addEventListener("click", () => { clock.playing ? pause() : play(); });
$("speed").addEventListener("change", (ev) => { clock.speed = parseFloat(ev.target.value); });
$("live").addEventListener("click", () => { pause(); clock.follow = true; clock.t = model.tEnd; draw(); });

function setTime(t) {
  clock.follow = false;
  clock.t = Math.min(Math.max(t, model.tStart), model.tEnd);
  draw();
}
let timer = null;
function play() {
  clock.playing = true;
  clock.follow = false;
  $("play").textContent = "❚❚";
  if (clock.t >= model.tEnd) clock.t = model.tStart;
  clock.last = performance.now();
  timer = setInterval(() => {
    const now = performance.now();
    const dt = (now - clock.last) / 1e3;
    clock.last = now;
    clock.t = Math.min(clock.t + dt * clock.speed, model.tEnd);
    if (clock.t >= model.tEnd) {
      pause();
      if (meta.mode === "live" && !meta.done) clock.follow = true;
    }
    draw();
  }, 250);
}
function pause() {
  clock.playing = false;
  $("play").textContent = "▶";
  if (timer) { clearInterval(timer); timer = null; }
}

function fail(e) {
  L.errors.push(String(e));
  console.error(e);
}

// For tests and scripts: what is drawn, and where.
L.viewer = viewer;
L.drawNow = () => { draw(); return clock.t; };
L.visibleTracks = () => drawn.map((d) => d.id);
L.time = () => clock.t;
L.setTime = (t) => { pause(); setTime(t); return clock.t; };
L.play = (speed) => { clock.speed = speed; play(); };
L.pause = pause;
L.select = select;
L.load = (v) => load(v);
L.sensors = () => meta.sensors.map((s) => s.id);
L.notices = () => (meta.notices || []).map((n) => n.id);
L.noticesShown = () => noticesShown.slice();
L.trackState = (id) => {
  const d = drawn.find((x) => x.id === id);
  if (!d) return null;
  const xy = (Cesium.SceneTransforms.worldToWindowCoordinates || Cesium.SceneTransforms.wgs84ToWindowCoordinates)(viewer.scene, d.pos);
  return { id, t: model.tracks.get(id).t[d.s.i], ecef: [d.pos.x, d.pos.y, d.pos.z], screen: xy ? [xy.x, xy.y] : null,
           class: d.cls, partners: d.s.partners, label: d.label, announced: (d.a && d.a.announced) || [] };  // prettier-ignore
};
L.logInfo = () => ({ cursor: model.cursor, tStart: model.tStart, tEnd: model.tEnd, tracks: model.tracks.size });

load(params().get("view")).catch(fail);
function params() { return new URLSearchParams(location.search); }
