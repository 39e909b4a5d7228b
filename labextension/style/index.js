import './index.css';
import './notebook7.css';
