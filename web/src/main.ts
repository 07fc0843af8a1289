// The page's first script: it sends the session's cookie refresh and fetches what the first screen
// needs (app/preload.ts) before the console's code (React DOM, the router, the screens) is even
// evaluated. That code, in its own chunk, is preloaded by index.html beside this one
// (vite.config.ts) and draws the first screen (app/start.tsx) once the refresh has answered: until
// then the main thread stays free, so the first screen's requests go out the moment the token
// arrives, and the console's start-up work is done while the server answers them.
import { preloadFirstScreen } from './app/preload';
import './styles.css';

void preloadFirstScreen(window.location.pathname).finally(() => import('./app/start'));
