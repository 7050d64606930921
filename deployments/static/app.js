// The search page: query box, Jobs/People tabs, facet chips that can be removed, feedback on clicks.
"use strict";

const state = { vertical: "jobs", query: "", disabled: [], last: null, searcher: searcherId() };
const $ = (id) => document.getElementById(id);

// A random id per browser, so one searcher's engagement events stay together (no login here).
function searcherId() {
  try {
    let id = localStorage.getItem("semstream-searcher");
    if (!id) { id = `web-${Math.random().toString(36).slice(2, 12)}`; localStorage.setItem("semstream-searcher", id); }
    return id;
  } catch (err) {
    return "anonymous";
  }
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.message || `HTTP ${response.status}`);
  return data;
}

async function search() {
  if (!state.query) return;
  $("status").textContent = "Searching…";
  try {
    const body = { query: state.query, k: 20, disabled_facets: state.disabled, searcher: { id: state.searcher } };
    state.last = await post(`/v1/search/${state.vertical}`, body);
    render(state.last);
  } catch (err) {
    $("status").textContent = `Error: ${err.message}`;
    $("results").replaceChildren();
  }
}

function render(data) {
  renderFacets(data);
  const notice = $("notice");
  notice.hidden = !(data.relaxed.length || data.ranker.degraded);
  notice.textContent = [
    data.relaxed.length ? `Few exact matches: also showing results without ${data.relaxed.join(", ")}.` : "",
    data.ranker.degraded ? `Results in retrieval order (${data.ranker.reason}).` : "",
  ].filter(Boolean).join(" ");
  $("status").textContent = `${data.items.length} result(s) of ${data.depth.retrieved} retrieved` +
    (data.depth.collapsed ? ` (${data.depth.collapsed} re-posted duplicate(s) hidden)` : "");
  $("results").replaceChildren(...data.items.map(renderItem));
  const t = data.timings_ms;
  $("meta").textContent = `understand ${t.understand} ms · retrieve ${t.retrieve} ms · rank ${t.rank} ms · ` +
    `total ${t.total} ms · ranked ${data.depth.ranked} · ranker ${data.models.ranker}` +
    (data.cache_hit ? " · from cache" : "");
}

function renderFacets(data) {
  const chips = data.applied_facets.map((f) => {
    const chip = el("span", { class: f.hard ? "chip" : "chip soft", "data-facet": f.id }, `${f.name}: ${f.value}`);
    const remove = el("button", { type: "button", class: "remove", "aria-label": `Remove ${f.id}` }, "×");
    remove.addEventListener("click", () => { state.disabled.push(f.id); search(); });
    chip.append(remove);
    return chip;
  });
  const off = state.disabled.map((id) => {
    const chip = el("span", { class: "chip disabled", "data-disabled": id }, id);
    const back = el("button", { type: "button", class: "restore", "aria-label": `Restore ${id}` }, "+");
    back.addEventListener("click", () => { state.disabled = state.disabled.filter((d) => d !== id); search(); });
    chip.append(back);
    return chip;
  });
  $("facets").replaceChildren(...chips, ...off);
}

function renderItem(item) {
  const li = el("li", { "data-id": item.id, class: item.relaxed ? "relaxed" : "" });
  li.append(el("span", { class: "score" }, `${item.score.toFixed(3)}`));
  const title = el("a", { class: "title", href: "#", "data-rank": item.rank }, item.title || item.headline || item.id);
  title.addEventListener("click", (ev) => { ev.preventDefault(); feedback(item, "click"); });
  li.append(title);
  if (item.name) li.append(el("div", { class: "where" }, item.name));
  const where = [item.company, item.location, item.remote, item.seniority, item.employment_type]
    .filter(Boolean).join(" · ");
  if (where) li.append(el("div", { class: "where" }, where));
  if (item.skills.length) li.append(el("div", { class: "skills" }, item.skills.join(", ")));
  if (item.snippet) li.append(el("div", { class: "snippet" }, item.snippet));
  const action = state.vertical === "jobs" ? "apply" : "connect";
  const button = el("button", { type: "button", class: "act", "data-action": action }, action === "apply" ? "Apply" : "Connect");
  button.addEventListener("click", () => feedback(item, action));
  li.append(button);
  return li;
}

async function feedback(item, action) {
  try {
    await post("/v1/feedback", {
      vertical: state.vertical, action, query: state.query, item_id: item.id, position: item.rank - 1,
      searcher_id: state.searcher,
    });
    $("status").textContent = `Recorded ${action} on ${item.title || item.headline || item.id}`;
  } catch (err) {
    $("status").textContent = `Feedback not recorded: ${err.message}`;
  }
}

function selectTab(vertical) {
  state.vertical = vertical;
  state.disabled = [];
  for (const tab of document.querySelectorAll(".tab")) {
    const on = tab.dataset.vertical === vertical;
    tab.classList.toggle("active", on);
    tab.setAttribute("aria-selected", String(on));
  }
  search();
}

$("search-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.query = $("q").value.trim();
  state.disabled = [];
  search();
});
for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => selectTab(tab.dataset.vertical));
}
