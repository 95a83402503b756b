#!/usr/bin/env node
import { launch } from './launch.js';

await launch('ec2-backup', 'ec2-backup.js');
