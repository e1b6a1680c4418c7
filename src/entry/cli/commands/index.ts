/**
 * Every command group, in help order. A command module exports
 * `register(program: Command, ctx: CliContext): void`.
 */
import type { Command } from 'commander';
import type { CliContext } from '../CliContext.js';
import { register as init } from './init.js';
import { register as serve } from './serve.js';
import { register as user } from './user.js';
import { register as group } from './group.js';
import { register as template } from './template.js';
import { register as request } from './request.js';
import { register as cert } from './cert.js';
import { register as crl } from './crl.js';
import { register as audit } from './audit.js';
import { register as card } from './card.js';
import { register as enroll } from './enroll.js';
import { register as cardAgent } from './cardAgent.js';
import { register as agent } from './agent.js';
import { register as enrollOnBehalf } from './enrollOnBehalf.js';
import { register as directory } from './directory.js';
import { register as check } from './check.js';

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export const COMMANDS: RegisterCommand[] = [
  init,
  serve,
  user,
  group,
  template,
  request,
  cert,
  crl,
  audit,
  card,
  enroll,
  cardAgent,
  directory,
  agent,
  enrollOnBehalf,
  check,
];
