/**
 * The app's header for the pages the documents define and the gateway serves on its own
 * (`/websocket-test`, `/dashboard`): the same look and links as the web UI's (ui/index.html), so
 * every page has a way back. They take the UI's stylesheet for it.
 */
export const PAGE_HEADER = `<link rel="stylesheet" href="/ui/style.css">
<style>.doc-page { max-width: 62rem; margin: 0 auto; padding: 1rem; }</style>`;

export const PAGE_NAV = `<a class="skip" href="#content">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Spaceport</a>
  <nav aria-label="Main"><a href="/">Spaces</a><a href="/dashboard">Sessions</a><a href="/websocket-test">Lip-sync test</a><a href="/signin">Sign in</a></nav>
</header>`;
