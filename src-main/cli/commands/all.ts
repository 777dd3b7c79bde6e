// Registers every command. Add one import per command file.
import './check.js';
import './canon.js';
import './facts.js';
import './pull.js';
import './diff.js';
import './lint.js';
import './trace.js';
import './import.js';
import './recipes.js';
import './apply.js';
