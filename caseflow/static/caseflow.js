/* caseflow's few conveniences; every page works without them. */
"use strict";

document.documentElement.classList.add("js");

// 再加一位: one more empty co-signer box, numbered after the last (cosigners-4, cosigners-5 …)
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-more]");
  if (!button) return;
  const list = button.parentElement.querySelector("[data-more-list]");
  const last = list.lastElementChild;
  const next = last.cloneNode();
  const index = list.children.length;
  next.value = "";
  next.name = last.name.replace(/-\d+$/, `-${index}`);
  next.id = last.id.replace(/-\d+$/, `-${index}`);
  next.placeholder = last.placeholder.replace(/\d+/, String(index + 1));
  list.appendChild(next);
  next.focus();
});

// a unit list's search box: shows the units whose name holds what is typed
document.addEventListener("input", (event) => {
  const box = event.target.closest("[data-filter]");
  if (!box) return;
  const words = box.value.trim();
  for (const item of document.getElementById(box.dataset.filter).querySelectorAll("li")) {
    item.hidden = words !== "" && !item.textContent.includes(words);
  }
});

// a file over the size limit is refused here, before a long upload that the server would refuse
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!input.matches("input[type=file][data-max-bytes]")) return;
  const limit = Number(input.dataset.maxBytes);
  const big = [...input.files].filter((f) => f.size > limit).map((f) => f.name);
  input.setCustomValidity(big.length ? `${input.dataset.tooBig}${big.join("、")}` : "");
  input.reportValidity();
  if (big.length) input.value = "";
});

// 智能交办 and 并案 hints: one click ticks the suggested unit in its picker, or puts a number in its box
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fill]");
  if (!button) return;
  const target = document.getElementById(button.dataset.fill);
  if (!target) return;
  target.closest("details")?.setAttribute("open", "");
  const box = target.matches("input") ? null : target.querySelector(`input[value="${button.dataset.value}"]`);
  if (box) {
    box.checked = true;
    box.closest("li").hidden = false;
    box.focus();
  } else {
    target.value = button.dataset.value;
    target.focus();
  }
});

// 查找相似件 on the 登记 page: the title and text typed so far, checked by the server
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-similar]");
  if (!button) return;
  const form = button.form;
  const data = new FormData();
  for (const name of ["csrf_token", "session_id", "title", "text", "category_id"]) {
    data.append(name, form.elements[name] ? form.elements[name].value : "");
  }
  const into = document.getElementById(button.dataset.into);
  button.disabled = true;
  try {
    const answer = await fetch(button.dataset.similar, {method: "POST", body: data, credentials: "same-origin"});
    into.innerHTML = await answer.text();
  } finally {
    button.disabled = false;
  }
});
