// borderscape's own script for the interactive maps (borderscape/webmap.py inlines it after the map
// that folium writes). folium and its plugins make the map, the layers, the layer control, the
// clustering (Leaflet.markercluster), the scale bar and the gesture handling (Leaflet.GestureHandling);
// this script does only what no maintained plugin does (every text it shows comes translated from Python,
// in data.text, data.labels and the layers' names, notes and units; counts are written for data.locale):
// - it fills folium's empty layers from the compact JSON of the element with id "bs-data" (dictionary-encoded
//   popup fields, flat coordinates), with popups built as text (never as HTML);
// - cluster icons in each layer's colour that show how many people (or sensors) they hold;
// - a legend with a size key for those circles, collapsed behind a button on small screens;
// - a range of years (two thumbs on one track) that filters records, sensors and coverage;
// - place labels shown from the zoom at which they no longer overlap (chosen in Python).
(function () {
  "use strict";
  var node = document.getElementById("bs-data");
  if (!node) { return; }
  var data = JSON.parse(node.textContent);
  var map = window[data.map];
  if (!map) { return; }
  var text = data.text;
  var range = data.period ? data.period.slice() : null;
  var wide = window.matchMedia(data.wide).matches;
  var HEX = /^#[0-9a-fA-F]{6}$/;

  function el(tag, content, cls) {
    var e = document.createElement(tag);
    if (content !== undefined && content !== null) { e.textContent = String(content); }
    if (cls) { e.className = cls; }
    return e;
  }
  function colour(c) { return HEX.test(c) ? c : "#000000"; }
  function number(n) { return Number(n).toLocaleString(data.locale); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function label(selector, words) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (e) {
      e.title = words;
      e.setAttribute("aria-label", words);
    });
  }
  function diameter(n) { return Math.round(18 + 7 * Math.log10(Math.max(n, 1))); }
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
      tr.appendChild(el("th", data.labels[f] || f));
      tr.appendChild(el("td", v));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }
  function active(spec, i) {
    if (range === null || !spec.years) { return true; }
    var y = spec.years[i];
    return (y[0] === null || y[0] <= range[1]) && (y[1] === null || y[1] >= range[0]);
  }
  function latlngs(flat) {
    var out = [];
    for (var k = 0; k < flat.length; k += 2) { out.push([flat[k + 1], flat[k]]); }
    return out;
  }
  function disc(fill, ink, n, hint) {
    var d = diameter(n), box = el("span", null, "bs-cluster-disc");
    box.style.background = fill;
    box.style.color = ink;
    box.style.width = box.style.height = box.style.lineHeight = d + "px";
    box.appendChild(el("span", number(n), "bs-count"));
    if (hint) { box.appendChild(el("span", hint, "bs-sr")); }
    return box;
  }
  function clusterIcon(spec) {
    return function (cluster) {
      var n = 0;
      cluster.getAllChildMarkers().forEach(function (m) { n += m.options.bsWeight; });
      var d = diameter(n);
      return L.divIcon({html: disc(spec.colour, spec.text, n, " " + fill(text.cluster_hint, {unit: spec.unit, layer: spec.name})),
                        className: "bs-cluster", iconSize: L.point(d, d)});
    };
  }

  var layers = data.layers.map(function (spec) {
    var group = window[spec.var];
    spec.colour = colour(spec.colour);
    spec.text = colour(spec.text);
    var entry = {spec: spec, group: group, items: []};
    if (spec.kind === "points") {
      group.options.iconCreateFunction = clusterIcon(spec);
      group.on("clusterkeypress", function (e) {
        if (e.originalEvent && e.originalEvent.key === "Enter") { e.layer.zoomToBounds({padding: [24, 24]}); }
      });
      var icon = L.divIcon({className: "bs-dot bs-shape-" + spec.shape, iconSize: [12, 12],
                            html: '<span style="background:' + spec.colour + '"></span>'});
      var n = spec.geometry.length / 2;
      for (var i = 0; i < n; i++) {
        var m = L.marker([spec.geometry[2 * i + 1], spec.geometry[2 * i]], {
          icon: icon, keyboard: true, title: fill(text.single, {layer: spec.name}),
          bsWeight: spec.weights ? spec.weights[i] : 1
        });
        if (spec.fields.length) { m.bindPopup(popup.bind(null, spec, i)); }
        entry.items.push(m);
      }
    } else {
      var style = {color: spec.colour, weight: spec.weight, fillColor: spec.colour,
                   fillOpacity: spec.fill, fill: spec.kind === "areas" && spec.fill > 0,
                   interactive: spec.fields.length > 0, className: "bs-" + spec.kind};
      spec.geometry.forEach(function (g, j) {
        var shape = spec.kind === "lines"
          ? L.polyline(g.map(latlngs), style)
          : L.polygon(g.map(function (poly) { return poly.map(latlngs); }), style);
        if (spec.fields.length) { shape.bindPopup(popup.bind(null, spec, j)); }
        entry.items.push(shape);
      });
    }
    return entry;
  });

  function redraw() {
    layers.forEach(function (entry) {
      var spec = entry.spec;
      var on = entry.items.filter(function (item, i) { return active(spec, i); });
      if (spec.kind === "points") {
        entry.group.clearLayers();
        entry.group.addLayers(on);
      } else {
        entry.items.forEach(function (item, i) {
          var want = active(spec, i), has = entry.group.hasLayer(item);
          if (want && !has) { entry.group.addLayer(item); } else if (!want && has) { entry.group.removeLayer(item); }
        });
      }
    });
  }

  // place labels: each shown from its own zoom level (bs-minzoom-N)
  function showPlaces() {
    var z = map.getZoom();
    Array.prototype.forEach.call(document.querySelectorAll(".bs-town, .bs-country"), function (label) {
      var m = /bs-minzoom-(\d+)/.exec(label.className);
      label.classList.toggle("bs-hidden", m !== null && Number(m[1]) > z);
    });
  }

  // legend: the layers shown, the size key of the circles and the place labels
  var Legend = L.Control.extend({
    options: {position: "bottomright"},
    onAdd: function () {
      var box = L.DomUtil.create("div", "bs-legend");
      var toggle = el("button", text.legend, "bs-legend-toggle");
      var body = el("div", null, "bs-legend-body");
      toggle.type = "button";
      body.id = "bs-legend-body";
      toggle.setAttribute("aria-controls", body.id);
      box.appendChild(toggle);
      box.appendChild(body);
      this.setOpen = function (open) {
        body.hidden = !open;
        toggle.setAttribute("aria-expanded", String(open));
        box.classList.toggle("bs-open", open);
      };
      var self = this;
      toggle.addEventListener("click", function () { self.setOpen(body.hidden); });
      this.body = body;
      this.setOpen(wide);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    }
  });
  var legend = new Legend().addTo(map);
  function updateLegend() {
    var body = legend.body, units = [];
    body.textContent = "";
    layers.forEach(function (entry) {
      if (!map.hasLayer(entry.group)) { return; }
      var spec = entry.spec, row = el("div", null, "bs-legend-row");
      var key = el("span", null, "bs-key bs-key-" + spec.kind + (spec.kind === "points" ? " bs-shape-" + spec.shape : ""));
      key.style.setProperty("--bs-colour", spec.colour);
      row.appendChild(key);
      row.appendChild(el("span", spec.name));
      if (spec.note) { row.appendChild(el("span", " — " + spec.note, "bs-note")); }
      body.appendChild(row);
      if (spec.kind === "points" && units.indexOf(spec.unit) < 0) { units.push(spec.unit); }
    });
    if (units.length) {
      var sizes = el("div", null, "bs-size-key");
      sizes.appendChild(el("p", fill(text.size_key, {unit: units[0]}), "bs-note"));
      if (units.length > 1) { sizes.appendChild(el("p", fill(text.size_key_other, {units: units.slice(1).join(", ")}), "bs-note")); }
      var row = el("div", null, "bs-size-row");
      data.size_key.forEach(function (n) { row.appendChild(disc("#d9d9d9", "#000000", n)); });
      sizes.appendChild(row);
      body.appendChild(sizes);
    }
    if (document.querySelector(".bs-town")) {
      var town = el("div", null, "bs-legend-row");
      town.appendChild(el("span", null, "bs-key bs-key-town"));
      town.appendChild(el("span", text.towns));
      body.appendChild(town);
    }
    if (document.querySelector(".bs-country")) {
      var country = el("div", null, "bs-legend-row");
      country.appendChild(el("span", "ABC", "bs-key-country"));
      country.appendChild(el("span", text.countries));
      body.appendChild(country);
    }
    if (data.simulated) { body.appendChild(el("b", text.simulated)); }
  }

  // the range of years: two thumbs on one track, each a native, keyboard-operable range input
  var from = document.getElementById("bs-year-from"), to = document.getElementById("bs-year-to");
  var shown = document.getElementById("bs-years-shown");
  var pending = false;
  function paint() {
    var lo = Number(from.min), span = Math.max(1, Number(from.max) - lo);
    var track = from.parentNode;
    track.style.setProperty("--bs-lo", (100 * (range[0] - lo) / span) + "%");
    track.style.setProperty("--bs-hi", (100 * (range[1] - lo) / span) + "%");
    from.setAttribute("aria-valuetext", String(range[0]));
    to.setAttribute("aria-valuetext", String(range[1]));
    shown.textContent = range[0] === range[1] ? String(range[0]) : range[0] + "–" + range[1];
  }
  function onYears(ev) {
    var a = Number(from.value), b = Number(to.value);
    if (a > b) {
      if (ev.target === from) { to.value = String(a); b = a; } else { from.value = String(b); a = b; }
    }
    range = [a, b];
    paint();
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () { pending = false; redraw(); });
    }
  }
  if (from && to && shown && range) {
    from.addEventListener("input", onYears);
    to.addEventListener("input", onYears);
    paint();
  }

  // on a small screen the first-screen notices start folded (their summary stays in view)
  Array.prototype.forEach.call(document.querySelectorAll("details.bs-notices"), function (d) { d.open = wide; });
  map.attributionControl.setPrefix("Leaflet");
  // Leaflet's own buttons, in the reader's language
  label(".leaflet-control-zoom-in", text.zoom_in);
  label(".leaflet-control-zoom-out", text.zoom_out);
  label(".leaflet-control-layers-toggle", text.layers);
  map.on("popupopen", function () { label(".leaflet-popup-close-button", text.close); });
  map.on("overlayadd overlayremove", function () { updateLegend(); showPlaces(); });
  map.on("zoomend", showPlaces);
  redraw();
  updateLegend();
  showPlaces();
  window.borderscapeMap = map;
  window.borderscapeRange = function () { return range ? range.slice() : null; };
}());
