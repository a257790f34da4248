// The page's first module. The first paint does not wait for the page's code: the browser shows the
// frame (the heading and the empty panels) first, then the modules load, in parallel, and app.js
// opens the live stream and fills the panels (docs/ui.md, "How it is built").
requestAnimationFrame(() => {
  setTimeout(() => {
    void Promise.all([import('./dom.js'), import('./guests.js'), import('./graph.js'), import('./timeline.js'), import('./events.js')])
      .then(() => import('./app.js'));
  }, 0);
});
