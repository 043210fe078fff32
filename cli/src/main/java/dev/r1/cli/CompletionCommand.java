package dev.r1.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a shell completion script for r1 (commands, options, presets).", "",
                "Examples:",
                "  source <(r1 completion bash)                  # this shell; add it to ~/.bashrc to keep it",
                "  r1 completion zsh > ~/.zfunc/_r1.sh && echo 'source ~/.zfunc/_r1.sh' >> ~/.zshrc"})
final class CompletionCommand implements Callable<Integer> {

    enum Shell { bash, zsh }

    @Parameters(paramLabel = "SHELL", description = "bash or zsh")
    Shell shell;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        // picocli's script is bash; zsh runs it through its bash-completion emulation.
        if (shell == Shell.zsh) System.out.println("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit");
        System.out.print(AutoComplete.bash("r1", spec.root().commandLine()));
        return 0;
    }
}
