(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("bs-data").textContent);
  var esc = function (s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  };
  var map = L.map("bs-map", {zoomSnap: 0.5, minZoom: 1, maxZoom: 18});
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>');
  if (data.tiles === "osm") {
    L.tileLayer(data.osm.url, {maxZoom: 18, attribution: esc(data.osm.attribution)}).addTo(map);
  }
  if (data.attribution.length) {
    map.attributionControl.addAttribution("Data: " + esc(data.attribution.join(", ")) + " (publishers and licences under “Sources”)");
  }
  map.fitBounds(data.bounds, {maxZoom: 12});
  var year = null;  // null: all years

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function value(spec, field, i) {
    var p = spec.props[field], c = p.codes[i];
    return c < 0 ? null : p.values[c];
  }
  function popup(spec, i) {
    var box = el("div", null, "bs-popup");
    box.appendChild(el("b", spec.name));
    var table = el("table");
    spec.fields.forEach(function (f) {
      var v = value(spec, f, i);
      if (v === null) { return; }
      var tr = el("tr");
      tr.appendChild(el("th", data.labels[f] || f.replace(/_/g, " ")));
      tr.appendChild(el("td", v));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }
  function active(spec, i) {
    if (year === null || !spec.years) { return true; }
    var y = spec.years[i];
    return (y[0] === null || y[0] <= year) && (y[1] === null || year <= y[1]);
  }
  // popups are opened on the map (not bound to a marker), so that redrawing the clusters after
  // the popup pans the map does not close it; their content is built only when clicked
  function onClick(layer, content) {
    layer.on("click", function (e) {
      L.popup().setLatLng(e.latlng).setContent(content()).openOn(map);
    });
  }
  function latlngs(flat) {
    var out = [];
    for (var k = 0; k < flat.length; k += 2) { out.push([flat[k + 1], flat[k]]); }
    return out;
  }

  var layers = data.layers.map(function (spec) {
    var group = L.layerGroup(), features = [];
    var style = {color: spec.colour, weight: spec.kind === "areas" ? 1 : 2, fillColor: spec.colour,
                 fillOpacity: spec.fill, fill: spec.kind === "areas" && spec.fill > 0,
                 className: "bs-" + spec.kind};
    if (spec.kind === "points") {
      var n = spec.geometry.length / 2;
      spec.px = new Float64Array(n); spec.py = new Float64Array(n);
      for (var i = 0; i < n; i++) {
        var p = map.project([spec.geometry[2 * i + 1], spec.geometry[2 * i]], 0);
        spec.px[i] = p.x; spec.py[i] = p.y;
      }
    } else {
      spec.geometry.forEach(function (g, i) {
        var shape = spec.kind === "lines"
          ? L.polyline(g.map(latlngs), style)
          : L.polygon(g.map(function (poly) { return poly.map(latlngs); }), style);
        if (spec.fields.length) { onClick(shape, function () { return popup(spec, i); }); }
        features.push(shape);
      });
    }
    return {spec: spec, group: group, features: features};
  });

  function marker(spec, lat, lng, radius, cls) {
    return L.circleMarker([lat, lng], {radius: radius, color: "#333", weight: 1, fillColor: spec.colour,
                                       fillOpacity: 0.75, className: cls});
  }
  function cellPopup(spec, cell) {
    var box = el("div", null, "bs-popup");
    box.appendChild(el("b", spec.name));
    var table = el("table");
    var rows = [["records", cell.n]];
    if (cell.dead !== null) { rows.push(["dead", cell.dead]); }
    if (cell.missing !== null) { rows.push(["missing", cell.missing]); }
    if (cell.y0 !== null) { rows.push(["years", cell.y0 === cell.y1 ? cell.y0 : cell.y0 + "–" + cell.y1]); }
    rows.forEach(function (r) {
      var tr = el("tr"); tr.appendChild(el("th", r[0])); tr.appendChild(el("td", r[1])); table.appendChild(tr);
    });
    box.appendChild(table);
    box.appendChild(el("div", "Zoom in to see single records."));
    return box;
  }
  function drawPoints(entry) {
    var spec = entry.spec, group = entry.group;
    group.clearLayers();
    var n = spec.px.length, scale = Math.pow(2, map.getZoom()), size = data.cluster_px;
    var view = map.getPixelBounds().pad(0.25);
    var cells = new Map(), k, cell;
    for (var i = 0; i < n; i++) {
      if (!active(spec, i)) { continue; }
      var x = spec.px[i] * scale, y = spec.py[i] * scale;
      if (x < view.min.x || x > view.max.x || y < view.min.y || y > view.max.y) { continue; }
      if (!spec.cluster) {
        var m = marker(spec, spec.geometry[2 * i + 1], spec.geometry[2 * i], 5, "bs-point");
        if (spec.fields.length) { onClick(m, popup.bind(null, spec, i)); }
        group.addLayer(m);
        continue;
      }
      k = Math.floor(x / size) + ":" + Math.floor(y / size);
      cell = cells.get(k);
      if (!cell) { cell = {n: 0, sx: 0, sy: 0, first: i, dead: null, missing: null, y0: null, y1: null}; cells.set(k, cell); }
      cell.n += 1; cell.sx += x; cell.sy += y;
      ["dead", "missing"].forEach(function (f) {
        if (!spec.props[f]) { return; }
        var v = value(spec, f, i);
        if (v !== null) { cell[f] = (cell[f] || 0) + Number(v); }
      });
      if (spec.years && spec.years[i][0] !== null) {
        var yy = spec.years[i][0];
        cell.y0 = cell.y0 === null ? yy : Math.min(cell.y0, yy);
        cell.y1 = cell.y1 === null ? yy : Math.max(cell.y1, yy);
      }
    }
    cells.forEach(function (c) {
      var m;
      if (c.n === 1) {
        m = marker(spec, spec.geometry[2 * c.first + 1], spec.geometry[2 * c.first], 5, "bs-point bs-single");
        onClick(m, popup.bind(null, spec, c.first));
      } else {
        var ll = map.unproject([c.sx / c.n, c.sy / c.n], map.getZoom());
        m = marker(spec, ll.lat, ll.lng, Math.min(size / 2 - 2, 4 + 1.6 * Math.sqrt(c.n)), "bs-point bs-cluster");
        onClick(m, cellPopup.bind(null, spec, c));
      }
      group.addLayer(m);
    });
  }
  function drawShapes(entry) {
    entry.features.forEach(function (f, i) {
      var on = active(entry.spec, i), has = entry.group.hasLayer(f);
      if (on && !has) { entry.group.addLayer(f); } else if (!on && has) { entry.group.removeLayer(f); }
    });
  }
  function redraw() {
    layers.forEach(function (entry) {
      if (!map.hasLayer(entry.group)) { return; }
      if (entry.spec.kind === "points") { drawPoints(entry); } else { drawShapes(entry); }
    });
  }

  // layer control: areas first so that points stay on top
  var overlays = {};
  var order = layers.slice().sort(function (a, b) {
    var rank = {areas: 0, lines: 1, points: 2};
    return rank[a.spec.kind] - rank[b.spec.kind];
  });
  order.forEach(function (entry) { if (entry.spec.visible) { entry.group.addTo(map); } });
  layers.forEach(function (entry) {
    overlays['<span class="bs-layer-name">' + esc(entry.spec.group + ": " + entry.spec.name) + "</span>"] = entry.group;
  });
  L.control.layers(null, overlays, {collapsed: false, position: "topright"}).addTo(map);

  // legend of the visible layers
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "bs-legend");
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  legend.addTo(map);
  function updateLegend() {
    var div = legend.getContainer();
    div.textContent = "";
    layers.forEach(function (entry) {
      if (!map.hasLayer(entry.group)) { return; }
      var row = el("div");
      var sw = el("span", null, "bs-swatch");
      sw.style.background = entry.spec.colour;
      if (entry.spec.kind === "points") { sw.style.borderRadius = "50%"; }
      if (entry.spec.kind === "lines") { sw.style.height = "3px"; sw.style.border = "none"; sw.style.verticalAlign = "3px"; }
      row.appendChild(sw);
      row.appendChild(el("span", entry.spec.name));
      if (entry.spec.note) { row.appendChild(el("span", " — " + entry.spec.note, "bs-note")); }
      div.appendChild(row);
    });
    if (data.simulated) { div.appendChild(el("b", "SIMULATED DATA")); }
  }

  // time slider by year
  var years = [];
  data.layers.forEach(function (spec) {
    if (!spec.years) { return; }
    spec.years.forEach(function (y) {
      [y[0], y[1]].forEach(function (v) { if (v !== null) { years.push(v); } });
    });
  });
  if (years.length) {
    var lo = Math.min.apply(null, years), hi = Math.max.apply(null, years);
    var slider = L.control({position: "bottomleft"});
    slider.onAdd = function () {
      var div = L.DomUtil.create("div", "bs-years");
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      var label = el("label", "Year: ");
      var input = el("input");
      input.type = "range"; input.min = String(lo - 1); input.max = String(hi); input.step = "1";
      input.value = String(lo - 1); input.id = "bs-year";
      input.setAttribute("aria-label", "Year shown (leftmost: all years)");
      var shown = el("output", "all years");
      shown.id = "bs-year-shown";
      input.addEventListener("input", function () {
        var v = Number(input.value);
        year = v < lo ? null : v;
        shown.textContent = year === null ? "all years" : String(year);
        redraw();
      });
      label.appendChild(input);
      div.appendChild(label);
      div.appendChild(el("span", " "));
      div.appendChild(shown);
      return div;
    };
    slider.addTo(map);
  }

  map.on("overlayadd overlayremove", function () { redraw(); updateLegend(); });
  map.on("zoomend moveend", redraw);
  redraw();
  updateLegend();
  window.borderscapeMap = map;
}());
