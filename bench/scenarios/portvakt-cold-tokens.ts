/** Portvakt with a new token on every request: the full RS256 verification each time, Permit cached. */
import { createLibraryApp } from '../lib/library-app.js';
import { serveScenario } from '../lib/server.js';

await serveScenario(createLibraryApp().app);
