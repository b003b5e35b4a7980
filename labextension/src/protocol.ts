/* eslint-disable */
// GENERATED from schema/protocol.schema.json by scripts/gen-protocol.js; never edit by hand.
// Regenerate: `make schema` (Python side), then `jlpm protocol` here.

export type KernelAgentProtocol =
  Submission | Event | ThreadEventLine | HistoryItem | PanelCommandMessage | PanelEventMessage;
export type ThreadEventLine =
  | ThreadStarted
  | TurnStartedLine
  | TurnCompletedLine
  | TurnFailedLine
  | ItemStarted
  | ItemUpdated
  | ItemCompleted
  | ErrorLine;
export type HistoryItem =
  | Message
  | Reasoning
  | FunctionCall
  | FunctionCallOutput
  | CustomToolCall
  | CustomToolCallOutput
  | LocalShellCall
  | WebSearchCall
  | CompactionSummary;
/**
 * Side panel -> kernel (comm `agent.panel.commands`).
 */
export type PanelCommandMessage =
  | PanelHello
  | PanelUserInput
  | PanelDecision
  | PanelInterrupt
  | PanelNewSession
  | PanelListSessions
  | PanelResumeSession
  | PanelSetOptions
  | NotebookEditResult;
/**
 * Kernel -> side panel (comm `agent.panel.events`).
 */
export type PanelEventMessage =
  | PanelStatus
  | TranscriptPatch
  | SessionList
  | PanelNotice
  | NotebookEditRequest
  | NotebookEditCancel;

export interface Submission {
  id: string;
  op:
    | UserInputOp
    | UserTurn
    | OverrideTurnContext
    | Interrupt
    | Approval
    | AddToHistory
    | Compact
    | Undo
    | Shutdown;
}
/**
 * Start a task, or, while one runs, queue the items into it as pending input.
 */
export interface UserInputOp {
  items: (TextInput | ImageInput | LocalImageInput)[];
  type: 'user_input';
}
export interface TextInput {
  text: string;
  type: 'text';
}
export interface ImageInput {
  image_url: string;
  type: 'image';
}
export interface LocalImageInput {
  path: string;
  type: 'local_image';
}
/**
 * Like user_input, with settings for this turn only (`override_turn_context` changes
 * the defaults of later turns); text that joins a running turn keeps that turn's settings.
 */
export interface UserTurn {
  approval_policy?: ('untrusted' | 'on-failure' | 'on-request' | 'never') | null;
  cwd?: string | null;
  effort?: ('none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh') | null;
  final_output_json_schema?: {
    [k: string]: unknown | undefined;
  } | null;
  items: (TextInput | ImageInput | LocalImageInput)[];
  model?: string | null;
  sandbox_policy?: (DangerFullAccess | ReadOnly | WorkspaceWrite) | null;
  summary?: ('auto' | 'concise' | 'detailed' | 'none') | null;
  type: 'user_turn';
}
/**
 * No restrictions: full disk write and network.
 */
export interface DangerFullAccess {
  type: 'danger-full-access';
}
/**
 * Read anywhere, write nowhere except /dev/null, no network.
 */
export interface ReadOnly {
  type: 'read-only';
}
/**
 * Write inside the cwd, /tmp, $TMPDIR and `writable_roots`; `.git` stays read-only.
 *
 * `include_cwd=False` (a permission profile granting only listed paths) leaves the cwd
 * out of the writable roots unless it is listed in `writable_roots`.
 */
export interface WorkspaceWrite {
  exclude_slash_tmp?: boolean;
  exclude_tmpdir_env_var?: boolean;
  include_cwd?: boolean;
  network_access?: boolean;
  type: 'workspace-write';
  writable_roots?: string[];
}
/**
 * Change the defaults for later turns without starting one.
 */
export interface OverrideTurnContext {
  approval_policy?: ('untrusted' | 'on-failure' | 'on-request' | 'never') | null;
  cwd?: string | null;
  effort?: ('none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh') | null;
  model?: string | null;
  sandbox_policy?: (DangerFullAccess | ReadOnly | WorkspaceWrite) | null;
  summary?: ('auto' | 'concise' | 'detailed' | 'none') | null;
  type: 'override_turn_context';
}
export interface Interrupt {
  type: 'interrupt';
}
/**
 * The user's answer to an approval request (`exec_approval_request` or
 * `apply_patch_approval_request`: core resolves both the same way).
 */
export interface Approval {
  call_id: string;
  decision: 'approved' | 'approved_for_session' | 'denied' | 'abort';
  type: 'approval';
}
export interface AddToHistory {
  text: string;
  type: 'add_to_history';
}
export interface Compact {
  type: 'compact';
}
export interface Undo {
  type: 'undo';
}
export interface Shutdown {
  type: 'shutdown';
}
export interface Event {
  id: string;
  msg:
    | SessionConfigured
    | TaskStarted
    | TaskComplete
    | TurnAborted
    | ShutdownComplete
    | Error
    | Warning
    | StreamError
    | BackgroundEvent
    | AgentMessageDelta
    | AgentMessage
    | AgentReasoningDelta
    | AgentReasoning
    | AgentReasoningRawContentDelta
    | AgentReasoningRawContent
    | AgentReasoningSectionBreak
    | UserMessage
    | TokenCount
    | ExecCommandBegin
    | ExecCommandOutputDelta
    | ExecCommandEnd
    | ExecApprovalRequest
    | ApplyPatchApprovalRequest
    | PatchApplyBegin
    | PatchApplyEnd
    | TurnDiff
    | PlanUpdate
    | UndoStarted
    | UndoCompleted
    | ToolCallBegin
    | ToolCallEnd
    | McpStartupUpdate
    | McpStartupComplete
    | McpToolCallBegin
    | McpToolCallEnd;
}
export interface SessionConfigured {
  approval_policy: 'untrusted' | 'on-failure' | 'on-request' | 'never';
  cwd: string;
  history_entry_count?: number;
  history_log_id?: number;
  initial_messages?:
    | {
        [k: string]: unknown | undefined;
      }[]
    | null;
  model: string;
  model_provider_id: string;
  reasoning_effort?: ('none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh') | null;
  rollout_path?: string | null;
  sandbox_hidden?: string[] | null;
  sandbox_mechanism?: string | null;
  sandbox_notes?: string[] | null;
  sandbox_policy: DangerFullAccess | ReadOnly | WorkspaceWrite;
  sandbox_warning?: string | null;
  session_id: string;
  type: 'session_configured';
}
export interface TaskStarted {
  model_context_window?: number | null;
  type: 'task_started';
}
export interface TaskComplete {
  last_agent_message?: string | null;
  type: 'task_complete';
}
export interface TurnAborted {
  reason: 'interrupted' | 'replaced' | 'review_ended';
  type: 'turn_aborted';
}
export interface ShutdownComplete {
  type: 'shutdown_complete';
}
export interface Error {
  codex_error_info?:
    | (
        | 'context_window_exceeded'
        | 'usage_limit_exceeded'
        | 'http_connection_failed'
        | 'response_stream_connection_failed'
        | 'internal_server_error'
        | 'unauthorized'
        | 'bad_request'
        | 'sandbox_error'
        | 'response_stream_disconnected'
        | 'response_too_many_failed_attempts'
        | 'other'
      )
    | null;
  http_status_code?: number | null;
  message: string;
  type: 'error';
}
export interface Warning {
  message: string;
  type: 'warning';
}
export interface StreamError {
  codex_error_info?:
    | (
        | 'context_window_exceeded'
        | 'usage_limit_exceeded'
        | 'http_connection_failed'
        | 'response_stream_connection_failed'
        | 'internal_server_error'
        | 'unauthorized'
        | 'bad_request'
        | 'sandbox_error'
        | 'response_stream_disconnected'
        | 'response_too_many_failed_attempts'
        | 'other'
      )
    | null;
  message: string;
  retry_in_ms?: number | null;
  type: 'stream_error';
}
export interface BackgroundEvent {
  message: string;
  type: 'background_event';
}
export interface AgentMessageDelta {
  delta: string;
  type: 'agent_message_delta';
}
export interface AgentMessage {
  message: string;
  type: 'agent_message';
}
export interface AgentReasoningDelta {
  delta: string;
  type: 'agent_reasoning_delta';
}
export interface AgentReasoning {
  text: string;
  type: 'agent_reasoning';
}
export interface AgentReasoningRawContentDelta {
  delta: string;
  type: 'agent_reasoning_raw_content_delta';
}
export interface AgentReasoningRawContent {
  text: string;
  type: 'agent_reasoning_raw_content';
}
export interface AgentReasoningSectionBreak {
  item_id?: string;
  summary_index?: number;
  type: 'agent_reasoning_section_break';
}
export interface UserMessage {
  images?: string[] | null;
  message: string;
  type: 'user_message';
}
export interface TokenCount {
  info?: TokenUsageInfo | null;
  rate_limits?: RateLimitSnapshot | null;
  type: 'token_count';
}
export interface TokenUsageInfo {
  last_token_usage: TokenUsage;
  model_context_window?: number | null;
  total_token_usage: TokenUsage;
}
export interface TokenUsage {
  cached_input_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  reasoning_output_tokens?: number;
  total_tokens?: number;
}
export interface RateLimitSnapshot {
  credits?: Credits | null;
  primary?: RateLimitWindow | null;
  secondary?: RateLimitWindow | null;
}
export interface Credits {
  balance?: string | null;
  has_credits: boolean;
  unlimited: boolean;
}
export interface RateLimitWindow {
  resets_at?: number | null;
  used_percent: number;
  window_minutes?: number | null;
}
export interface ExecCommandBegin {
  call_id: string;
  command: string[];
  cwd: string;
  parsed_cmd?: ParsedCommand[];
  source?: 'agent' | 'user_shell' | 'unified_exec_startup' | 'unified_exec_interaction';
  turn_id: string;
  type: 'exec_command_begin';
}
/**
 * A summary of what a command does, for display (`read`, `list_files`, `search`, `unknown`).
 */
export interface ParsedCommand {
  cmd: string;
  name?: string | null;
  path?: string | null;
  query?: string | null;
  type: 'read' | 'list_files' | 'search' | 'unknown';
}
export interface ExecCommandOutputDelta {
  call_id: string;
  chunk: string;
  stream: 'stdout' | 'stderr';
  type: 'exec_command_output_delta';
}
export interface ExecCommandEnd {
  aggregated_output: string;
  call_id: string;
  command: string[];
  cwd: string;
  duration: Duration;
  exit_code: number;
  formatted_output: string;
  parsed_cmd?: ParsedCommand[];
  refused?: boolean;
  source?: 'agent' | 'user_shell' | 'unified_exec_startup' | 'unified_exec_interaction';
  stderr: string;
  stdout: string;
  turn_id: string;
  type: 'exec_command_end';
}
/**
 * Serialised like Rust's Duration: `{secs, nanos}`.
 */
export interface Duration {
  nanos: number;
  secs: number;
}
export interface ExecApprovalRequest {
  call_id: string;
  command: string[];
  cwd: string;
  parsed_cmd?: ParsedCommand[];
  reason?: string | null;
  turn_id: string;
  type: 'exec_approval_request';
}
export interface ApplyPatchApprovalRequest {
  call_id: string;
  changes: {
    [k: string]: (FileAdd | FileDelete | FileUpdate) | undefined;
  };
  grant_root?: string | null;
  reason?: string | null;
  turn_id: string;
  type: 'apply_patch_approval_request';
}
export interface FileAdd {
  content: string;
  type: 'add';
}
export interface FileDelete {
  content: string;
  type: 'delete';
}
export interface FileUpdate {
  move_path?: string | null;
  type: 'update';
  unified_diff: string;
}
export interface PatchApplyBegin {
  auto_approved: boolean;
  call_id: string;
  changes: {
    [k: string]: (FileAdd | FileDelete | FileUpdate) | undefined;
  };
  turn_id: string;
  type: 'patch_apply_begin';
}
export interface PatchApplyEnd {
  call_id: string;
  changes?: {
    [k: string]: (FileAdd | FileDelete | FileUpdate) | undefined;
  };
  stderr: string;
  stdout: string;
  success: boolean;
  turn_id: string;
  type: 'patch_apply_end';
}
export interface TurnDiff {
  type: 'turn_diff';
  unified_diff: string;
}
export interface PlanUpdate {
  explanation?: string | null;
  plan: PlanItem[];
  type: 'plan_update';
}
export interface PlanItem {
  status: 'pending' | 'in_progress' | 'completed';
  step: string;
}
export interface UndoStarted {
  message?: string | null;
  type: 'undo_started';
}
export interface UndoCompleted {
  message?: string | null;
  success: boolean;
  type: 'undo_completed';
}
/**
 * A tool other than shell/apply_patch started (for display).
 */
export interface ToolCallBegin {
  arguments: string;
  call_id: string;
  name: string;
  type: 'tool_call_begin';
}
export interface ToolCallEnd {
  call_id: string;
  duration: Duration;
  name: string;
  output: string;
  success: boolean;
  type: 'tool_call_end';
}
export interface McpStartupUpdate {
  server: string;
  status: McpStartupStatus;
  type: 'mcp_startup_update';
}
export interface McpStartupStatus {
  error?: string | null;
  state: 'starting' | 'ready' | 'failed' | 'cancelled';
}
export interface McpStartupComplete {
  cancelled?: string[];
  failed?: McpStartupFailure[];
  ready?: string[];
  type: 'mcp_startup_complete';
}
export interface McpStartupFailure {
  error: string;
  server: string;
}
export interface McpToolCallBegin {
  call_id: string;
  invocation: McpInvocation;
  type: 'mcp_tool_call_begin';
}
export interface McpInvocation {
  arguments?: {
    [k: string]: unknown | undefined;
  };
  server: string;
  tool: string;
}
export interface McpToolCallEnd {
  call_id: string;
  duration: Duration;
  invocation: McpInvocation;
  result: {
    [k: string]: unknown | undefined;
  };
  type: 'mcp_tool_call_end';
}
export interface ThreadStarted {
  thread_id: string;
  type: 'thread.started';
}
export interface TurnStartedLine {
  type: 'turn.started';
}
export interface TurnCompletedLine {
  type: 'turn.completed';
  usage: Usage;
}
export interface Usage {
  cached_input_tokens: number;
  input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens?: number;
}
export interface TurnFailedLine {
  error: ThreadError;
  type: 'turn.failed';
}
export interface ThreadError {
  message: string;
}
export interface ItemStarted {
  item:
    | AgentMessageItem
    | ReasoningItem
    | CommandExecutionItem
    | FileChangeItem
    | TodoListItem
    | McpToolCallItem
    | ErrorItem;
  type: 'item.started';
}
export interface AgentMessageItem {
  id: string;
  text: string;
  type: 'agent_message';
}
export interface ReasoningItem {
  id: string;
  text: string;
  type: 'reasoning';
}
export interface CommandExecutionItem {
  aggregated_output?: string;
  command: string;
  exit_code?: number | null;
  id: string;
  status: 'in_progress' | 'completed' | 'failed' | 'declined';
  type: 'command_execution';
}
export interface FileChangeItem {
  changes: FileUpdateChange[];
  id: string;
  status: 'in_progress' | 'completed' | 'failed';
  type: 'file_change';
}
export interface FileUpdateChange {
  kind: 'add' | 'delete' | 'update';
  path: string;
}
export interface TodoListItem {
  id: string;
  items: TodoEntry[];
  type: 'todo_list';
}
export interface TodoEntry {
  completed: boolean;
  text: string;
}
/**
 * A call of an MCP server's tool. kernel-agent's own tools (read_file, ...) have no
 * item, as in Codex.
 */
export interface McpToolCallItem {
  arguments?: {
    [k: string]: unknown | undefined;
  };
  error?: {
    [k: string]: string | undefined;
  } | null;
  id: string;
  result?: {
    [k: string]: unknown | undefined;
  } | null;
  server: string;
  status: 'in_progress' | 'completed' | 'failed';
  tool: string;
  type: 'mcp_tool_call';
}
export interface ErrorItem {
  id: string;
  message: string;
  type: 'error';
}
export interface ItemUpdated {
  item:
    | AgentMessageItem
    | ReasoningItem
    | CommandExecutionItem
    | FileChangeItem
    | TodoListItem
    | McpToolCallItem
    | ErrorItem;
  type: 'item.updated';
}
export interface ItemCompleted {
  item:
    | AgentMessageItem
    | ReasoningItem
    | CommandExecutionItem
    | FileChangeItem
    | TodoListItem
    | McpToolCallItem
    | ErrorItem;
  type: 'item.completed';
}
export interface ErrorLine {
  message: string;
  type: 'error';
}
export interface Message {
  content: (InputText | InputImage | OutputText)[];
  id?: string | null;
  role: 'user' | 'assistant' | 'developer' | 'system';
  type: 'message';
}
export interface InputText {
  text: string;
  type: 'input_text';
}
export interface InputImage {
  image_url: string;
  type: 'input_image';
}
export interface OutputText {
  text: string;
  type: 'output_text';
}
export interface Reasoning {
  content?: ReasoningText[] | null;
  encrypted_content?: string | null;
  id?: string | null;
  summary?: SummaryText[];
  type: 'reasoning';
}
export interface ReasoningText {
  text: string;
  type?: 'reasoning_text' | 'text';
}
export interface SummaryText {
  text: string;
  type: 'summary_text';
}
export interface FunctionCall {
  arguments: string;
  call_id: string;
  id?: string | null;
  name: string;
  type: 'function_call';
}
export interface FunctionCallOutput {
  call_id: string;
  output: string | (InputText | InputImage | OutputText)[];
  type: 'function_call_output';
}
export interface CustomToolCall {
  call_id: string;
  id?: string | null;
  input: string;
  name: string;
  status?: string | null;
  type: 'custom_tool_call';
}
export interface CustomToolCallOutput {
  call_id: string;
  output: string;
  type: 'custom_tool_call_output';
}
export interface LocalShellCall {
  action: LocalShellExecAction;
  call_id?: string | null;
  id?: string | null;
  status?: 'completed' | 'in_progress' | 'incomplete';
  type: 'local_shell_call';
}
export interface LocalShellExecAction {
  command: string[];
  env?: {
    [k: string]: string | undefined;
  } | null;
  timeout_ms?: number | null;
  type: 'exec';
  user?: string | null;
  working_directory?: string | null;
}
export interface WebSearchCall {
  action?: {
    [k: string]: unknown | undefined;
  } | null;
  id?: string | null;
  status?: string | null;
  type: 'web_search_call';
}
export interface CompactionSummary {
  encrypted_content: string;
  type: 'compaction_summary';
}
/**
 * First message: the kernel answers with `status` and a full `transcript`.
 */
export interface PanelHello {
  protocol_version?: number;
  type: 'hello';
}
/**
 * What the user typed: starts a turn (or joins the running one).
 */
export interface PanelUserInput {
  text: string;
  type: 'user_input';
}
/**
 * An approval decision; shared with every cell widget showing the same request.
 */
export interface PanelDecision {
  call_id: string;
  decision: 'approved' | 'approved_for_session' | 'denied' | 'abort';
  type: 'decision';
}
export interface PanelInterrupt {
  type: 'interrupt';
}
export interface PanelNewSession {
  type: 'new_session';
}
export interface PanelListSessions {
  type: 'list_sessions';
}
/**
 * Resume a recorded session by id (None: the last one for this notebook or folder).
 */
export interface PanelResumeSession {
  session_id?: string | null;
  type: 'resume_session';
}
/**
 * Change the model and/or approval policy for this and later turns.
 */
export interface PanelSetOptions {
  approval_policy?: ('untrusted' | 'on-failure' | 'on-request' | 'never') | null;
  model?: string | null;
  type: 'set_options';
}
/**
 * The front end's answer to a `notebook_edit_request`: first `received` (the panel
 * shows it; sent at once, so a request nobody sees fails fast), then the outcome.
 */
export interface NotebookEditResult {
  cell_id?: string | null;
  index?: number | null;
  message?: string;
  previous?: NotebookCell | null;
  request_id: string;
  source?: string | null;
  status: 'received' | 'applied' | 'rejected' | 'failed';
  type: 'notebook_edit_result';
}
/**
 * A cell as it was before an edit (what undoing the edit puts back).
 */
export interface NotebookCell {
  cell_type?: 'code' | 'markdown' | 'raw';
  id?: string | null;
  metadata?: {
    [k: string]: unknown | undefined;
  };
  source?: string;
}
/**
 * The kernel's agent: which session, model, policies and sandbox.
 */
export interface PanelStatus {
  approval_policies: ('untrusted' | 'on-failure' | 'on-request' | 'never')[];
  approval_policy: 'untrusted' | 'on-failure' | 'on-request' | 'never';
  cwd: string;
  model: string;
  notebook: string | null;
  notebook_edit: boolean;
  protocol_version?: number;
  provider: string;
  queued?: number;
  running: boolean;
  sandbox: string;
  sandbox_mechanism: string | null;
  session_id: string | null;
  this_turn?: TurnSettings | null;
  type: 'status';
  version: string;
}
/**
 * The running turn's settings that differ from the defaults (a `%%agent --approval`
 * flag applies to its cell's turn only); a field is None where the turn uses the default.
 */
export interface TurnSettings {
  approval_policy?: ('untrusted' | 'on-failure' | 'on-request' | 'never') | null;
  model?: string | null;
  sandbox?: string | null;
}
/**
 * The transcript since the last patch, sent to the side panel and to the cell widget.
 *
 * Applying one, in this order: `reset` means forget every block you have; each block in
 * `blocks` (new, or changed other than by growing its text) replaces the one with its
 * id; each entry of `appends` extends the `text` of a block already held (streamed
 * answers and reasoning grow this way, so the bytes sent stay linear in the text);
 * `order` then lists every block id, in display order. `turn_diff` is `None` when it is
 * unchanged since the last patch (after a reset: when there is none), `""` when it went
 * away. `status` is `None` when it is unchanged since the last patch except for the clock
 * (`now`, `elapsed_s`: a front end ticks the elapsed time itself); a reset always has it.
 * `order` is `None` when unchanged; `session_id` is only read from a reset (a new session
 * always starts with one). A patch other than a reset leaves out the fields that say
 * "unchanged" (their defaults below), so a patch costs the new text plus a constant per
 * changed block, not a status, an order and a session id each.
 */
export interface TranscriptPatch {
  appends?: TextAppend[];
  blocks?: (
    | UserBlock
    | AgentBlock
    | ReasoningBlock
    | CommandBlock
    | ToolBlock
    | PatchBlock
    | PlanBlock
    | ApprovalBlock
    | ErrorBlock
    | StreamErrorBlock
    | NoticeBlock
  )[];
  order?: string[] | null;
  reset?: boolean;
  seq: number;
  session_id?: string | null;
  status?: TranscriptStatus | null;
  turn_diff?: string | null;
  type: 'transcript';
}
/**
 * `block.text += text` on the block `id` (an agent or reasoning block), whose `rev`
 * becomes `rev` and `streaming` becomes `streaming` (the end of a stream is an append too).
 */
export interface TextAppend {
  id: string;
  rev: number;
  streaming: boolean;
  text: string;
}
export interface UserBlock {
  id: string;
  images: number;
  kind: 'user';
  rev: number;
  text: string;
}
export interface AgentBlock {
  id: string;
  kind: 'agent';
  rev: number;
  streaming: boolean;
  text: string;
}
export interface ReasoningBlock {
  id: string;
  kind: 'reasoning';
  raw: boolean;
  rev: number;
  streaming: boolean;
  text: string;
}
export interface CommandBlock {
  argv: string[];
  call_id: string;
  cwd: string;
  duration_ms: number | null;
  exit_code: number | null;
  id: string;
  kind: 'command';
  output: string;
  parsed_cmd: {
    [k: string]: unknown | undefined;
  }[];
  rev: number;
  source: string | null;
  status: 'waiting' | 'running' | 'ok' | 'failed' | 'declined' | 'aborted' | 'refused';
  truncated_bytes: number;
}
export interface ToolBlock {
  arguments: string;
  call_id: string;
  duration_ms: number | null;
  id: string;
  kind: 'tool';
  name: string;
  omitted_chars: number;
  output: string;
  rev: number;
  status: 'running' | 'ok' | 'failed' | 'aborted';
  success: boolean | null;
}
export interface PatchBlock {
  auto_approved: boolean;
  call_id: string;
  files: FileEntry[];
  id: string;
  kind: 'patch';
  rev: number;
  status: 'applying' | 'applied' | 'failed' | 'aborted';
  stderr: string;
  stdout: string;
}
export interface FileEntry {
  change: 'add' | 'delete' | 'update';
  diff: string;
  move_path: string | null;
  omitted_lines: number;
  path: string;
}
export interface PlanBlock {
  explanation: string | null;
  id: string;
  items: PlanEntry[];
  kind: 'plan';
  rev: number;
}
export interface PlanEntry {
  status: 'pending' | 'in_progress' | 'completed';
  step: string;
}
export interface ApprovalBlock {
  argv: string[];
  call_id: string;
  cwd: string | null;
  decision: ('approved' | 'approved_for_session' | 'denied' | 'abort') | null;
  files: FileEntry[];
  grant_root: string | null;
  id: string;
  kind: 'approval';
  options: ('approved' | 'approved_for_session' | 'denied' | 'abort')[];
  parsed_cmd: {
    [k: string]: unknown | undefined;
  }[];
  reason: string | null;
  request: 'exec' | 'patch';
  rev: number;
  status: 'pending' | 'decided' | 'aborted';
}
export interface ErrorBlock {
  http_status: number | null;
  id: string;
  info: unknown;
  kind: 'error';
  message: string;
  rev: number;
}
export interface StreamErrorBlock {
  at: number;
  count: number;
  id: string;
  kind: 'stream_error';
  message: string;
  retry_in_ms: number | null;
  rev: number;
}
export interface NoticeBlock {
  id: string;
  kind: 'notice';
  level: 'info' | 'warning';
  message: string;
  rev: number;
}
export interface TranscriptStatus {
  approval_policy: string | null;
  context_left_percent: number | null;
  context_window: number | null;
  cwd: string | null;
  elapsed_s: number;
  ended_at: number | null;
  model: string | null;
  now: number;
  provider: string | null;
  reason: string | null;
  sandbox: string | null;
  sandbox_mechanism: string | null;
  session_id: string | null;
  started_at: number;
  state: 'idle' | 'queued' | 'running' | 'waiting_for_approval' | 'done' | 'aborted' | 'error';
  stopping: boolean;
  tokens_used: number;
}
export interface SessionList {
  sessions: SessionSummary[];
  type: 'sessions';
}
export interface SessionSummary {
  first_user_message: string;
  id: string;
  started: string;
}
export interface PanelNotice {
  level: 'info' | 'warning' | 'error';
  message: string;
  type: 'notice';
}
/**
 * Ask the front end to edit the live notebook model. It shows a per-cell diff with
 * Accept / Reject first, then answers with `notebook_edit_result`.
 */
export interface NotebookEditRequest {
  action: 'insert' | 'replace' | 'delete' | 'run' | 'read';
  cell_id?: string | null;
  cell_type?: 'code' | 'markdown' | 'raw';
  expected_source?: string | null;
  index?: number | null;
  metadata?: {
    [k: string]: unknown | undefined;
  } | null;
  provenance?: NotebookEditProvenance | null;
  request_id: string;
  run?: boolean;
  source?: string | null;
  type: 'notebook_edit_request';
  undo?: boolean;
}
/**
 * Where an edit came from (no secrets, no model output).
 */
export interface NotebookEditProvenance {
  model: string;
  provider: string;
  session_id: string;
  turn_id: string;
}
/**
 * The request is void (the turn was stopped or it timed out): drop its Accept / Reject.
 */
export interface NotebookEditCancel {
  request_id: string;
  type: 'notebook_edit_cancel';
}

export const COMMANDS_TARGET = 'agent.panel.commands';
export const EVENTS_TARGET = 'agent.panel.events';
