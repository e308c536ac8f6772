#compdef taskctl

_taskctl_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _TASKCTL_COMPLETE=complete_zsh taskctl)
}

compdef _taskctl_completion taskctl
