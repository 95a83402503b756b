#!/usr/bin/env node
import { launch } from './launch.js';

await launch('s3export', 's3export.js');
