import './base.css';
import './storeSwitcher.css';
