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
