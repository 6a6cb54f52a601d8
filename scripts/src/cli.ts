#!/usr/bin/env node
/** The `wlm` command. Everything lives in cli/: this file only hands over the arguments. */
import { main } from './cli/main';

void main(process.argv);
