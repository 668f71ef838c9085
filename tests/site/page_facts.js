// What a reader sees on a page of the book, once MathJax has typeset it.
// Evaluated by conftest.visit() in Chromium; returns plain data.
() => {
  const article = document.querySelector("article.bd-article") || document.body;
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden";
  };
  const short = (s) => s.replace(/\s+/g, " ").trim().slice(0, 100);

  // Text that is still TeX: delimiters MathJax should have replaced. Code,
  // scripts and MathJax's own output are not prose and are skipped.
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight";
  const rawTex = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement && node.parentElement.closest(skip)) continue;
    if (/\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/.test(node.nodeValue)) {
      rawTex.push(short(node.nodeValue));
    }
  }
  const maths = [...article.querySelectorAll(".math")];
  const math = {
    elements: maths.length,
    typeset: maths.filter((m) => m.querySelector("mjx-container")).length,
    errors: [...document.querySelectorAll("mjx-merror")].map((e) =>
      short(e.getAttribute("data-mjx-error") || e.textContent)
    ),
    rawTex,
  };

  const images = [...document.images].map((img) => ({
    src: img.currentSrc.startsWith("data:") ? "data:..." : img.currentSrc,
    id: img.id,
    alt: img.getAttribute("alt"),
    decorative:
      img.getAttribute("role") === "presentation" ||
      img.closest("[aria-hidden=true]") !== null,
    complete: img.complete,
    naturalWidth: img.naturalWidth,
    inArticle: article.contains(img),
    figure: img.closest("figure")
      ? short(
          (img.closest("figure").querySelector("figcaption") || { textContent: "" })
            .textContent
        )
      : null,
  }));

  const figures = [...article.querySelectorAll("figure")].map((f) => ({
    caption: short((f.querySelector("figcaption") || { textContent: "" }).textContent),
  }));

  const headings = [...article.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .filter(visible)
    .map((h) => ({ level: Number(h.tagName[1]), text: short(h.textContent) }));

  const cells = [...article.querySelectorAll("div.cell")].map((cell) => {
    const input = cell.querySelector(".cell_input pre");
    const output = cell.querySelector(".cell_output");
    return {
      input: input ? input.textContent : null,
      inputVisible: input ? visible(input) : false,
      output: output
        ? {
            text: short(output.textContent),
            images: output.querySelectorAll("img").length,
            visible: visible(output),
            height: output.getBoundingClientRect().height,
          }
        : null,
    };
  });

  const widgetScripts = document.querySelectorAll(
    'script[type^="application/vnd.jupyter.widget"]'
  ).length;
  const widgetBoxes = document.querySelectorAll(
    ".jupyter-widgets, .widget-area, .jp-OutputArea-output .widget-subarea"
  ).length;
  const loadingWidget = /loading widget/i.test(document.body.innerText);

  // The header's buttons: launchers, downloads, repository and issues.
  const buttons = {};
  for (const [name, selector] of Object.entries({
    launch: ".dropdown-launch-buttons a",
    download: ".dropdown-download-buttons a",
    source: ".dropdown-source-buttons a",
  })) {
    buttons[name] = [...document.querySelectorAll(selector)].map((a) => ({
      text: a.textContent.trim(),
      href: a.href,
      kind: [...a.classList].find((c) => c.startsWith("btn-source-")) || "",
    }));
  }

  return {
    title: document.title,
    buttons,
    lang: document.documentElement.lang,
    math,
    images,
    figures,
    headings,
    cells,
    widgets: { scripts: widgetScripts, boxes: widgetBoxes, loadingText: loadingWidget },
    animations: document.querySelectorAll("div.animation img[id^=_anim_img]").length,
  };
}
