// The page's first script: it sends the session's cookie refresh and fetches what the first screen
// needs (app/preload.ts) before the console's code (React DOM, the router, the screens) is even
// evaluated. That code, in its own chunk, is preloaded by index.html beside this one
// (vite.config.ts) and draws the first screen (app/start.tsx).
import { preloadFirstScreen } from './app/preload';
import './styles.css';

preloadFirstScreen(window.location.pathname);
void import('./app/start');
