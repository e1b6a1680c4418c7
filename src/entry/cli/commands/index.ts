/**
 * Every command group, in help order. A command module exports
 * `register(program: Command, ctx: CliContext): void`.
 */
import type { Command } from 'commander';
import type { CliContext } from '../CliContext.js';
import { register as init } from './init.js';

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export const COMMANDS: RegisterCommand[] = [init];
