import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiClient } from './api/client.ts';
import { App } from './app.tsx';
import './styles/theme.css';
import './styles/wall.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <App api={new ApiClient()} />
  </StrictMode>,
);
