import * as React from 'react';
import { createRoot } from 'react-dom/client';

import '../style/base.css';
import '../style/standalone.css';
import { Dashboard } from './dashboard/dashboard';

/**
 * Entry of the dashboard served by ``nbtrack ui`` outside JupyterLab: the page carries
 * Jupyter's page config (base URL, token), so the same API layer authenticates the same way.
 */
function mount(): void {
  const root = document.getElementById('nbtrack-root');
  if (root) {
    createRoot(root).render(<Dashboard visible={true} />);
  }
}

mount();
