import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Root } from './Root';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <Root apiUrl={import.meta.env.VITE_SIS_API_URL} />
    </StrictMode>,
  );
}
