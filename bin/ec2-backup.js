#!/usr/bin/env -S node --max-semi-space-size=2
import { launch } from './launch.js';

await launch('ec2-backup', 'ec2-backup.js');
