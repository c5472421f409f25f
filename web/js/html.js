// Preact with htm: components are plain functions returning html`...` templates, so the
// dashboard needs no build step. Everything the views use from the library comes from here.
import htm from '../vendor/htm.js';
import { h, render, Fragment } from '../vendor/preact.js';
import { useState, useEffect, useCallback, useRef } from '../vendor/preact-hooks.js';

export const html = htm.bind(h);
export { render, Fragment, useState, useEffect, useCallback, useRef };
