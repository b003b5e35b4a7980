// kernel-agent's JupyterLab plugin: a side panel bound to the active notebook's kernel.
// `activate` only wires tokens to objects (the panel owns its lifecycle).

import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { AgentPanel, PANEL_ID } from './panel';

export namespace CommandIDs {
  export const openPanel = 'kernel-agent:open-panel';
}

export const OPEN_PANEL_KEYS = ['Accel Shift Y'];

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'kernel-agent:plugin',
  description: 'A chat panel for the kernel-agent running in the active notebook\u2019s kernel.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const panel = new AgentPanel(tracker);
    app.shell.add(panel, 'right', { rank: 1000 });
    restorer?.add(panel, PANEL_ID);
    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Open the agent panel',
      caption: 'Chat with kernel-agent in the active notebook\u2019s kernel',
      execute: () => {
        app.shell.activateById(panel.id);
        panel.focusInput();
      }
    });
    app.commands.addKeyBinding({ command: CommandIDs.openPanel, keys: OPEN_PANEL_KEYS, selector: 'body' });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'Agent' });
  }
};

export default plugin;
