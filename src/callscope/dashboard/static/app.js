// callscope dashboard: fetches each report's JSON (the same endpoint the CSV export and the
// API serve) with the page's filters and draws it. No build step, no framework.
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function label(key) {
    var last = String(key).split(".").pop();  // "categories.sale" reads as "Sale"
    return last.replace(/_/g, " ").replace(/^./, function (c) { return c.toUpperCase(); });
  }

  function fmt(value, key) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "number") {
      if (/rate|share|percent|utilisation/.test(key || "") && value <= 1) return (value * 100).toFixed(1) + "%";
      return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(2);
    }
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function isRowList(v) {
    return Array.isArray(v) && v.length > 0 && v.every(function (r) { return r && typeof r === "object" && !Array.isArray(r); });
  }

  function flatten(row, prefix, out) {
    out = out || {};
    Object.keys(row).forEach(function (k) {
      var v = row[k], name = prefix ? prefix + "." + k : k;
      if (v && typeof v === "object" && !Array.isArray(v)) flatten(v, name, out);
      else out[name] = v;
    });
    return out;
  }

  function table(rows, caption) {
    var flat = rows.map(function (r) { return flatten(r); });
    var cols = [];
    flat.forEach(function (r) { Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
    var head = el("tr", {}, cols.map(function (c) { return el("th", { text: label(c), "class": typeof flat[0][c] === "number" ? "num" : "" }); }));
    var body = flat.map(function (r) {
      return el("tr", {}, cols.map(function (c) { return el("td", { text: fmt(r[c], c), "class": typeof r[c] === "number" ? "num" : "" }); }));
    });
    var t = el("table", { "class": "report-table", "data-name": caption || "" }, [el("thead", {}, [head]), el("tbody", {}, body)]);
    var box = el("section", { "class": "card" }, [caption ? el("h2", { text: label(caption) }) : null, t]);
    return box;
  }

  function kpis(data, previous, change) {
    var box = el("div", { "class": "kpis" });
    Object.keys(data).forEach(function (k) {
      var v = data[k];
      if (typeof v !== "number") return;
      var delta = null;
      var c = change && change[k];
      var good = k === "missed" ? -c : c;  // fewer missed calls is the good direction
      if (typeof c === "number") delta = el("div", { "class": "delta " + (good > 0 ? "up" : good < 0 ? "down" : ""), text: (c > 0 ? "+" : "") + fmt(c) + " vs previous period" });
      else if (previous && typeof previous[k] === "number") delta = el("div", { "class": "delta", text: "previous period: " + fmt(previous[k], k) });
      box.appendChild(el("div", { "class": "kpi", "data-kpi": k }, [el("div", { "class": "label", text: label(k) }), el("div", { "class": "value", text: fmt(v, k) }), delta]));
    });
    return box;
  }

  function lineChart(points, xKey, yKeys) {
    if (!window.Chart || !points.length) return null;
    var canvas = el("canvas", { "aria-label": "trend" });
    var box = el("section", { "class": "card" }, [el("h2", { text: "Trend" }), el("div", { "class": "chart-box" }, [canvas])]);
    setTimeout(function () {
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: points.map(function (p) { return p[xKey]; }),
          datasets: yKeys.map(function (k) { return { label: label(k), data: points.map(function (p) { return p[k]; }), tension: 0 }; })
        },
        options: { responsive: true, maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false } }
      });
    }, 0);
    return box;
  }

  function heatmap(cells, title) {
    // cells: [[...24 numbers] x 7] or [{weekday, hour, calls}]
    var grid = cells;
    if (isRowList(cells)) {
      grid = [0, 1, 2, 3, 4, 5, 6].map(function () { return new Array(24).fill(0); });
      cells.forEach(function (c) { grid[c.weekday][c.hour] = c.calls !== undefined ? c.calls : c.count; });
    }
    var max = Math.max.apply(null, [1].concat([].concat.apply([], grid)));
    var days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    var head = el("tr", {}, [el("th", {})].concat(grid[0].map(function (_, h) { return el("th", { text: String(h) }); })));
    var rows = grid.map(function (row, d) {
      return el("tr", {}, [el("th", { text: days[d] })].concat(row.map(function (v) {
        var a = (v / max).toFixed(2);
        return el("td", { text: v ? String(v) : "", style: "background: rgba(36,87,214," + a + "); color:" + (a > 0.5 ? "#fff" : "inherit") });
      })));
    });
    return el("section", { "class": "card" }, [el("h2", { text: title }), el("table", { "class": "heat" }, [el("thead", {}, [head]), el("tbody", {}, rows)])]);
  }

  function phraseList(v) {
    return v.map(function (p) { return p.phrase + " (" + p.calls + ")"; }).join(", ");
  }

  function tidy(rows) {
    // nested lists of phrases read as text; ids and internal keys stay out of the table
    return rows.map(function (r) {
      var out = {};
      Object.keys(r).forEach(function (k) {
        if (k === "source_id" || k === "via") return;
        var v = r[k];
        out[k] = isRowList(v) && v[0].phrase !== undefined ? phraseList(v) : (Array.isArray(v) && !v.length ? "" : v);
      });
      return out;
    });
  }

  function barChart(values, labels, title) {
    if (!window.Chart) return null;
    var canvas = el("canvas", { "aria-label": title });
    var box = el("section", { "class": "card" }, [el("h2", { text: title }), el("div", { "class": "chart-box" }, [canvas])]);
    setTimeout(function () {
      new window.Chart(canvas, { type: "bar", data: { labels: labels, datasets: [{ label: title, data: values }] },
        options: { responsive: true, maintainAspectRatio: false, animation: false } });
    }, 0);
    return box;
  }

  function render(root, name, data) {
    root.innerHTML = "";
    var skip = { filter: true, weekdays: true, hours: true, models: true };
    if (data.filter) {
      root.appendChild(el("p", { "class": "muted period", text: data.filter.from + " to " + data.filter.to + " (" + data.filter.timezone + "), compared with " + data.filter.previous_from + " to " + data.filter.previous_to }));
    }
    if (data.totals) {
      var change = {};
      Object.keys(data.change || {}).forEach(function (k) { change[k] = data.change[k].delta; });
      root.appendChild(kpis(data.totals, data.previous, change));
      skip.totals = skip.previous = skip.change = true;
    }
    if (isRowList(data.daily)) {
      root.appendChild(lineChart(data.daily, "date", ["calls", "answered", "qualified", "leads"]) || el("span", {}));
      skip.daily = true;
    }
    if (Array.isArray(data.missed_by_hour)) {
      root.appendChild(barChart(data.missed_by_hour, data.hours || [], "Missed calls by hour (staffing)") || el("span", {}));
      skip.missed_by_hour = true;
    }
    var numbers = {};
    Object.keys(data).forEach(function (k) { if (typeof data[k] === "number" && !skip[k]) numbers[k] = data[k]; });
    if (Object.keys(numbers).length) root.appendChild(kpis(numbers));
    Object.keys(data).forEach(function (k) {
      if (skip[k] || typeof data[k] === "number") return;
      var v = data[k];
      if (Array.isArray(v) && v.length === 7 && Array.isArray(v[0])) root.appendChild(heatmap(v, label(k)));
      else if (isRowList(v)) root.appendChild(table(tidy(v), k === "rows" ? "" : k));
      else if (Array.isArray(v) && v.length && typeof v[0] === "number") root.appendChild(barChart(v, data.hours || v.map(function (_, i) { return i; }), label(k)) || el("span", {}));
    });
    if (!root.querySelector("table, canvas, .kpi")) root.appendChild(el("p", { "class": "empty", text: "No calls in this range." }));
  }

  function load(root) {
    var name = root.getAttribute("data-report");
    var query = root.getAttribute("data-query") || "";
    var extra = new URLSearchParams(window.location.search);
    var params = new URLSearchParams(query);
    ["group_by"].forEach(function (k) { if (extra.get(k)) params.set(k, extra.get(k)); });
    var qs = params.toString();
    var csv = document.getElementById("csv");
    if (csv) csv.href = root.getAttribute("data-endpoint") + ".csv" + (qs ? "?" + qs : "");
    fetch(root.getAttribute("data-endpoint") + (qs ? "?" + qs : ""), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { root.innerHTML = ""; root.appendChild(el("p", { "class": "error", role: "alert", text: res.body.detail || "The report failed." })); return; }
        render(root, name, res.body);
        root.setAttribute("data-loaded", "true");
      })
      .catch(function () { root.innerHTML = ""; root.appendChild(el("p", { "class": "error", role: "alert", text: "The report could not be loaded." })); });
  }

  function groupBy(root) {
    if (root.getAttribute("data-report") !== "sources") return;
    var current = new URLSearchParams(window.location.search).get("group_by") || "source";
    var select = el("select", { name: "group_by", id: "group-by" }, ["channel", "source", "medium", "campaign", "keyword"].map(function (g) {
      var o = el("option", { value: g, text: label(g) }); if (g === current) o.selected = true; return o;
    }));
    select.addEventListener("change", function () {
      var params = new URLSearchParams(window.location.search); params.set("group_by", select.value);
      window.location.search = params.toString();
    });
    root.parentNode.insertBefore(el("div", { "class": "report-controls" }, [el("label", { text: "Group by " }, [select])]), root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("report");
    if (root) { groupBy(root); load(root); }
    var player = document.getElementById("player");
    document.querySelectorAll("button.ts").forEach(function (b) {
      b.addEventListener("click", function () {
        if (!player) return;
        player.currentTime = parseFloat(b.getAttribute("data-seek")) || 0;
        player.play();
      });
    });
  });
})();
