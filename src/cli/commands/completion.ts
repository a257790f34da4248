// `qvmctl completion bash|zsh|fish`: a shell completion script. The commands, their options and the
// values of options with choices come from this very commander program when the script is printed
// (nothing is listed twice); guest names come from the manifests when a completion is asked for,
// through the hidden `qvmctl __complete guests [-f DIR]` (read-only, no validation, fast).

import { Argument, type Command, type Option } from 'commander';
import { guestNamesIn } from '../../manifest/guest-names.js';
import type { CommandResult, Output } from '../output.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

export function registerCompletion(program: Command, io: Output, result: CommandResult): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(qvmctl completion bash), or zsh, or fish')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action((shell: Shell) => {
      const tree = describe(program, []);
      io.out(shell === 'bash' ? bashScript(tree) : shell === 'zsh' ? zshScript(tree) : fishScript(tree));
      result.exitCode = 0;
    });
  program
    .command('__complete', { hidden: true })
    .argument('<what>', 'guests')
    .option('-f, --manifests <dir>', 'manifest directory', './manifests')
    .action(async (what: string, options: { manifests: string }) => {
      if (what === 'guests') for (const name of await guestNamesIn(options.manifests)) io.out(`${name}\n`);
      result.exitCode = 0;
    });
}

interface OptionSpec {
  readonly flags: readonly string[];
  readonly takesValue: boolean;
  readonly choices: readonly string[];
  /** The manifest directory: where guest names are read from. */
  readonly manifests: boolean;
  /** A directory (`<dir>`); other values are completed as files. */
  readonly dir: boolean;
  readonly description: string;
}

interface CommandSpec {
  /** `qvmctl`, `qvmctl:release`, … */
  readonly key: string;
  readonly names: readonly string[];
  readonly description: string;
  readonly subcommands: readonly CommandSpec[];
  readonly options: readonly OptionSpec[];
  /** Its first argument is a guest name. */
  readonly guest: boolean;
  /** The choices of its first argument (completion's shells). */
  readonly argChoices: readonly string[];
}

function describe(command: Command, names: readonly string[]): CommandSpec {
  const help = command.createHelp();
  const options = [...help.visibleOptions(command), ...(names.length === 0 ? [] : help.visibleGlobalOptions(command))].map(optionSpec);
  return {
    key: ['qvmctl', ...names].join(':'),
    names,
    description: command.description(),
    subcommands: help.visibleCommands(command).filter((c) => c.name() !== 'help').map((c) => describe(c, [...names, c.name()])),
    options,
    guest: command.registeredArguments[0]?.name() === 'name',
    argChoices: command.registeredArguments[0]?.argChoices ?? [],
  };
}

function optionSpec(option: Option): OptionSpec {
  return {
    flags: [option.short, option.long].filter((f): f is string => f !== undefined),
    takesValue: option.required || option.optional,
    choices: option.argChoices ?? [],
    manifests: option.attributeName() === 'manifests',
    dir: /<dir>/.test(option.flags),
    description: option.description,
  };
}

function all(tree: CommandSpec): CommandSpec[] {
  return [tree, ...tree.subcommands.flatMap(all)];
}

const words = (list: readonly string[]): string => list.join(' ');
/** Single-quoted for sh, bash, zsh and fish. */
const q = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
const flagsOf = (spec: CommandSpec, keep: (o: OptionSpec) => boolean): string[] => spec.options.filter(keep).flatMap((o) => o.flags);

// The tables both bash and zsh read (associative arrays, keyed by command path).
function tables(tree: CommandSpec, declare: string): string {
  const rows = (name: string, value: (c: CommandSpec) => string): string =>
    `${declare} ${name}=(\n${all(tree).map((c) => `  [${c.key}]=${q(value(c))}`).join('\n')}\n)\n`;
  const choices = all(tree).flatMap((c) => c.options.flatMap((o) => (o.choices.length === 0 ? [] : o.flags.map((f) => `  [${q(`${c.key} ${f}`)}]=${q(words(o.choices))}`))));
  return [
    rows('_qvmctl_subs', (c) => words(c.subcommands.map((s) => s.names.at(-1) ?? ''))),
    rows('_qvmctl_args', (c) => words(c.argChoices)),
    rows('_qvmctl_opts', (c) => words(flagsOf(c, () => true))),
    rows('_qvmctl_valopts', (c) => words(flagsOf(c, (o) => o.takesValue))),
    rows('_qvmctl_dirs', (c) => words(flagsOf(c, (o) => o.manifests))),
    rows('_qvmctl_dirvals', (c) => words(flagsOf(c, (o) => o.dir))),
    rows('_qvmctl_guests', (c) => (c.guest ? '1' : '')),
    `${declare} _qvmctl_choices=(\n${choices.join('\n')}\n)\n`,
  ].join('');
}

function bashScript(tree: CommandSpec): string {
  return `# bash completion for qvmctl: source <(qvmctl completion bash)
${tables(tree, 'declare -gA')}
_qvmctl() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} key=qvmctl dir= i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ " \${_qvmctl_valopts[$key]} " == *" $w "* ]]; then
      [[ " \${_qvmctl_dirs[$key]} " == *" $w "* ]] && dir=\${COMP_WORDS[i+1]}
      ((i++))
      continue
    fi
    case $w in
      --*=*) [[ " \${_qvmctl_dirs[$key]} " == *" \${w%%=*} "* ]] && dir=\${w#*=}; continue ;;
      -*) continue ;;
    esac
    [[ " \${_qvmctl_subs[$key]} " == *" $w "* ]] && key=$key:$w
  done
  if ((COMP_CWORD > 1)) && [[ " \${_qvmctl_valopts[$key]} " == *" $prev "* ]]; then
    local choices=\${_qvmctl_choices["$key $prev"]}
    if [[ -n $choices ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
    elif [[ " \${_qvmctl_dirvals[$key]} " == *" $prev "* ]]; then
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "\${_qvmctl_opts[$key]}" -- "$cur")
    return 0
  fi
  local candidates="\${_qvmctl_subs[$key]} \${_qvmctl_args[$key]}"
  if [[ -n \${_qvmctl_guests[$key]} ]]; then
    candidates="$candidates $("\${COMP_WORDS[0]}" __complete guests \${dir:+-f "$dir"} 2>/dev/null)"
  fi
  mapfile -t COMPREPLY < <(compgen -W "$candidates" -- "$cur")
}
complete -F _qvmctl qvmctl
`;
}

function zshScript(tree: CommandSpec): string {
  return `#compdef qvmctl
# zsh completion for qvmctl: source <(qvmctl completion zsh) after compinit
${tables(tree, 'typeset -gA')}
_qvmctl() {
  local key=qvmctl dir= i w cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    if [[ " \${_qvmctl_valopts[$key]} " == *" $w "* ]]; then
      [[ " \${_qvmctl_dirs[$key]} " == *" $w "* ]] && dir=\${words[i+1]}
      (( i++ ))
      continue
    fi
    case $w in
      --*=*) [[ " \${_qvmctl_dirs[$key]} " == *" \${w%%=*} "* ]] && dir=\${w#*=}; continue ;;
      -*) continue ;;
    esac
    [[ " \${_qvmctl_subs[$key]} " == *" $w "* ]] && key=$key:$w
  done
  if (( CURRENT > 2 )) && [[ " \${_qvmctl_valopts[$key]} " == *" $prev "* ]]; then
    local choices=\${_qvmctl_choices[$key $prev]}
    if [[ -n $choices ]]; then compadd -- \${=choices}
    elif [[ " \${_qvmctl_dirvals[$key]} " == *" $prev "* ]]; then _files -/
    else _files
    fi
    return
  fi
  if [[ $cur == -* ]]; then
    compadd -- \${=_qvmctl_opts[$key]}
    return
  fi
  local -a candidates
  candidates=( \${=_qvmctl_subs[$key]} \${=_qvmctl_args[$key]} )
  if [[ -n \${_qvmctl_guests[$key]} ]]; then
    candidates+=( \${(f)"$(\${words[1]} __complete guests \${dir:+-f} \${dir:+$dir} 2>/dev/null)"} )
  fi
  compadd -- $candidates
}
compdef _qvmctl qvmctl
`;
}

function fishScript(tree: CommandSpec): string {
  const parents = all(tree).filter((c) => c.names.length > 0 && c.subcommands.length > 0).map((c) => c.names.join(' '));
  const condition = (c: CommandSpec): string => {
    if (c.names.length === 0) return '__fish_use_subcommand';
    const seen = c.names.map((n) => `__fish_seen_subcommand_from ${n}`).join('; and ');
    // A top-level command whose name is also a sub-command's (apply, release apply): not under its parent.
    const others = parents.filter((p) => p !== c.names[0]);
    const notNested = c.names.length === 1 && others.length > 0 ? `; and not __fish_seen_subcommand_from ${words(others)}` : '';
    return `${seen}${notNested}`;
  };
  const lines: string[] = ['# fish completion for qvmctl: qvmctl completion fish | source', 'complete -c qvmctl -f'];
  for (const c of all(tree)) {
    const subCondition = c.names.length === 0 ? '__fish_use_subcommand' : `${condition(c)}; and not __fish_seen_subcommand_from ${words(c.subcommands.map((s) => s.names.at(-1) ?? ''))}`;
    for (const s of c.subcommands) lines.push(`complete -c qvmctl -n ${q(subCondition)} -a ${q(s.names.at(-1) ?? '')} -d ${q(s.description)}`);
    for (const o of c.options) {
      const flags = o.flags.map((f) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`)).join(' ');
      const value = o.choices.length > 0 ? ` -x -a ${q(words(o.choices))}` : o.dir ? ' -r -a \'(__fish_complete_directories)\'' : o.takesValue ? ' -r -F' : '';
      lines.push(`complete -c qvmctl -n ${q(condition(c))} ${flags}${value} -d ${q(o.description)}`);
    }
    if (c.argChoices.length > 0) lines.push(`complete -c qvmctl -n ${q(condition(c))} -a ${q(words(c.argChoices))}`);
    if (c.guest) lines.push(`complete -c qvmctl -n ${q(condition(c))} -a '(__qvmctl_guests ${words(flagsOf(c, (o) => o.manifests))})'`);
  }
  return `${lines.join('\n')}
# Guest names from the manifests of the directory the command line names (its -f or --manifests).
function __qvmctl_guests
  set -l tokens (commandline -opc)
  set -l dir
  for i in (seq 2 (count $tokens))
    if contains -- $tokens[(math $i - 1)] $argv
      set dir -f $tokens[$i]
    end
  end
  $tokens[1] __complete guests $dir 2>/dev/null
end
`;
}
